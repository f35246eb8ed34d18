// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tokenScoresFromRecord, type TrajectoryRecord } from '../../sod/record';
import { weighSteps } from '../../sod/weights';
import { useAppStore } from '../../store/store';
import { TokenView, tokenLabels } from './TokenView';

// Two steps around one tool token. d_1 = (0.2 + 0.6)/2 = 0.4, d_2 = (0 + 2.5)/2 = 1.25,
// so w_2 = 0.4/1.25 = 0.32 (ε = 1e-6 changes the 7th digit) and at t = 4
// a_t SOD = 0.32 · (−0.5 − (−3)) = 0.8, a_t OPD = 2.5.
const record: TrajectoryRecord = {
  tokens: ['A', ' b', ' <tool>', ' d', ' e'],
  mask: [1, 1, 0, 1, 1],
  student_logprobs: [-0.5, -1.0, -2, -0.2, -3.0],
  teacher_logprobs: [-0.7, -0.4, -9, -0.2, -0.5],
};

const withAlternatives: TrajectoryRecord = {
  ...record,
  student_top: [
    [['A', -0.5]],
    [
      [' b', -1.0],
      [' x', -2.5],
    ],
    [],
    [[' d', -0.2]],
    [
      [' f', -0.1],
      [' e', -3.0],
    ],
  ],
  teacher_top: [
    [['A', -0.7]],
    [[' b', -0.4]],
    [],
    [[' d', -0.2]],
    [
      [' e', -0.5],
      [' g', -1.5],
    ],
  ],
};

function renderTokens(r: TrajectoryRecord) {
  const scores = tokenScoresFromRecord(r);
  const settings = { epsilon: 1e-6, delta: 0.2, coef: 1 };
  const view = render(
    <TokenView
      sod={weighSteps(scores, settings, 'sod')}
      opd={weighSteps(scores, settings, 'opd')}
      scores={scores}
      record={r}
      labels={tokenLabels(r)}
    />,
  );
  const token = (t: number) => {
    const el = view.container.querySelector<HTMLElement>(`[data-t="${t}"]`);
    if (el === null) throw new Error(`no token ${t}`);
    return el;
  };
  return { ...view, token };
}

/** The card's value for one row, by the row's data-value. */
function value(card: HTMLElement, name: string): string {
  return card.querySelector(`[data-value="${name}"]`)?.textContent ?? '';
}

beforeEach(() => useAppStore.setState({ explain: false }));
afterEach(cleanup);

describe('TokenView card', () => {
  it('shows s, τ, |s − τ|, the step, its weights and both advantages on hover', () => {
    const { token } = renderTokens(record);
    expect(screen.queryByRole('tooltip')).toBeNull();
    fireEvent.mouseOver(token(4));
    const card = screen.getByRole('tooltip');
    expect(card.textContent).toContain('␣e');
    expect(card.textContent).toContain('t = 4');
    expect(card.textContent).toContain('2 of 2');
    expect(card.textContent).toContain('SOD 0.3200 · OPD 1.0000');
    expect(value(card, 's')).toMatch(/^-3\.0000 /);
    expect(value(card, 'tau')).toMatch(/^-0\.5000 /);
    expect(value(card, 'gap')).toBe('2.5000 nats');
    expect(value(card, 'a-sod')).toBe('0.8000');
    expect(value(card, 'a-opd')).toBe('2.5000');
    expect(token(4).getAttribute('aria-describedby')).toBe(card.id);
    // No alternatives in this record, and nothing to complain about.
    expect(within(card).queryByText(/top/)).toBeNull();
    expect(within(card).queryByText(/not shown/)).toBeNull();
  });

  it('shows the card on keyboard focus, moves with the arrow keys and hides on Escape', () => {
    const { token } = renderTokens(record);
    // One tab stop for the whole text: the first token.
    expect([0, 1, 2, 3, 4].map((t) => token(t).tabIndex)).toEqual([0, -1, -1, -1, -1]);
    act(() => token(1).focus());
    let card = screen.getByRole('tooltip');
    expect(value(card, 's')).toMatch(/^-1\.0000 /);
    expect(value(card, 'tau')).toMatch(/^-0\.4000 /);
    expect(value(card, 'a-sod')).toBe('0.6000');
    expect(value(card, 'a-opd')).toBe('0.6000');
    expect(token(1).tabIndex).toBe(0);

    fireEvent.keyDown(token(1), { key: 'ArrowRight' });
    expect(document.activeElement).toBe(token(2));
    card = screen.getByRole('tooltip');
    expect(card.textContent).toContain('mask 0');
    expect(card.textContent).toContain('a_t = 0');

    fireEvent.keyDown(token(2), { key: 'End' });
    expect(document.activeElement).toBe(token(4));
    expect(value(screen.getByRole('tooltip'), 'a-sod')).toBe('0.8000');

    fireEvent.keyDown(token(4), { key: 'Escape' });
    expect(screen.queryByRole('tooltip')).toBeNull();
    expect(token(4).getAttribute('aria-describedby')).toBeNull();
  });

  it("lists the student's and teacher's top alternatives with probabilities", () => {
    const { token } = renderTokens(withAlternatives);
    fireEvent.mouseOver(token(4));
    const card = screen.getByRole('tooltip');
    const student = within(card).getByRole('list', { name: 'Student’s top alternatives' });
    const teacher = within(card).getByRole('list', { name: 'Teacher’s top alternatives' });
    const rows = (list: HTMLElement) =>
      within(list)
        .getAllByRole('listitem')
        .map((li) => li.textContent);
    // exp(−0.1) = 90.48%, exp(−3) = 4.98%; exp(−0.5) = 60.65%, exp(−1.5) = 22.31%.
    expect(rows(student)).toEqual(['␣f90.5%', '␣e4.98% (the token written)']);
    expect(rows(teacher)).toEqual(['␣e60.7% (the token written)', '␣g22.3%']);
  });

  it('ignores malformed alternatives with a note, and still shows the numbers', () => {
    const { token } = renderTokens({
      ...withAlternatives,
      teacher_top: 'oops',
      student_top: [[], [], [], [], [['x', 'y']]],
    });
    fireEvent.mouseOver(token(4));
    const card = screen.getByRole('tooltip');
    expect(value(card, 'a-sod')).toBe('0.8000');
    expect(within(card).queryByRole('list')).toBeNull();
    expect(card.textContent).toContain(
      'Alternatives not shown: teacher_top must be an array with one entry per token, got string.',
    );
    expect(card.textContent).toContain(
      'Alternatives not shown: student_top[4]: log-probability must be a number ≤ 0, got "y".',
    );
  });

  it('outlines each step with its SOD and OPD weight', () => {
    const { container } = renderTokens(record);
    const badges = [...container.querySelectorAll('.step-badge')].map((b) => b.textContent);
    expect(badges).toEqual(['step 1 · w SOD 1.000 · OPD 1.000', 'step 2 · w SOD 0.320 · OPD 1.000']);
    expect(container.querySelectorAll('.inserted [data-t]')).toHaveLength(1);
  });
});
