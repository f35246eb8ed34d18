// @vitest-environment jsdom
import { act, cleanup, render, screen } from '@testing-library/react';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { tokenScoresFromRecord, type TrajectoryRecord } from '../../sod/record';
import { weighSteps } from '../../sod/weights';
import { initialInspectorState } from '../../store/inspector/initialState';
import { useAppStore } from '../../store/store';
import { AdvantageChart } from './AdvantageChart';
import { InspectorView } from './InspectorView';
import { tokenLabels } from './TokenView';

// Three steps: d_1 = 0.4, d_2 = 1.25 (drift), d_3 = 0.1 (recovered, so w_3 = min(4, 1 + δ)).
// τ − s per generated token: 0.2, −0.6 | 0.5, −2 | 0.1.
const record: TrajectoryRecord = {
  tokens: ['a', ' b', ' <tool>', ' c', ' d', ' <tool>', ' e'],
  mask: [1, 1, 0, 1, 1, 0, 1],
  student_logprobs: [-0.5, -0.4, -2, -1, -0.5, -2, -0.3],
  teacher_logprobs: [-0.3, -1.0, -9, -0.5, -2.5, -9, -0.2],
};

const value = (name: string) => document.querySelector(`[data-value="${name}"]`)?.textContent;

beforeAll(() => {
  // jsdom has no layout: ResponsiveContainer only needs the observer to exist.
  globalThis.ResizeObserver ??= class {
    observe() {}
    unobserve() {}
    disconnect() {}
  };
});
beforeEach(() => useAppStore.setState({ ...initialInspectorState, explain: false }));
afterEach(cleanup);

describe('AdvantageChart', () => {
  function renderAt(delta: number) {
    const scores = tokenScoresFromRecord(record);
    const settings = { epsilon: 1e-6, delta, coef: 1 };
    return render(
      <AdvantageChart
        sod={weighSteps(scores, settings, 'sod')}
        opd={weighSteps(scores, settings, 'opd')}
        labels={tokenLabels(record)}
        size={{ width: 600, height: 200 }}
      />,
    );
  }

  it('draws a_t under SOD and OPD with a legend, units and the totals', () => {
    const { container } = renderAt(0.2);
    expect(container.querySelector('.recharts-surface')).not.toBeNull();
    expect(screen.getByText('a_t SOD = c·w_k·(τ − s)')).toBeTruthy();
    expect(screen.getByText('a_t OPD = c·(τ − s)')).toBeTruthy();
    expect(screen.getByText('a_t (nats)')).toBeTruthy();
    // OPD: 0.2 − 0.6 + 0.5 − 2 + 0.1 = −1.8 over 5 tokens.
    expect(value('sum-opd')).toBe('-1.8000');
    expect(value('mean-opd')).toBe('-0.3600');
    // SOD: −0.4 + 0.32 · (−1.5) + 1.2 · 0.1 = −0.76.
    expect(value('sum-sod')).toBe('-0.7600');
  });

  it('changes with δ, since δ caps the recovered step', () => {
    renderAt(0.5);
    // −0.4 + 0.32 · (−1.5) + 1.5 · 0.1 = −0.73; OPD does not move.
    expect(value('sum-sod')).toBe('-0.7300');
    expect(value('sum-opd')).toBe('-1.8000');
  });
});

describe('InspectorView with the store', () => {
  it('recomputes the advantages when δ changes in the store', () => {
    act(() => useAppStore.getState().loadText(JSON.stringify(record), 'test'));
    render(<InspectorView />);
    expect(screen.getByRole('heading', { name: /3 steps/ })).toBeTruthy();
    expect(value('sum-sod')).toBe('-0.7600');
    act(() => useAppStore.getState().setSetting('delta', '0.5'));
    expect(value('sum-sod')).toBe('-0.7300');
    act(() => useAppStore.getState().setSetting('delta', '0'));
    // −0.4 − 0.48 + 1 · 0.1 = −0.78
    expect(value('sum-sod')).toBe('-0.7800');
    expect(value('sum-opd')).toBe('-1.8000');
    // The 6th column of the step table is the SOD weight.
    const cells = [...document.querySelectorAll('tbody tr td:nth-child(6)')].map((td) => td.textContent);
    expect(cells).toEqual(['1.0000', '0.3200', '1.0000']);
  });

  it('shows the explain notes beside its views only in Explain mode', () => {
    act(() => useAppStore.getState().loadText(JSON.stringify(record), 'test'));
    render(<InspectorView />);
    expect(document.querySelectorAll('.explain-note')).toHaveLength(0);
    act(() => useAppStore.getState().setExplain(true));
    const topics = [...document.querySelectorAll<HTMLElement>('.explain-note')].map((n) => n.dataset.topic);
    expect(topics).toEqual(['weight', 'drift', 'step', 'masked', 'advantage', 'opd']);
  });
});
