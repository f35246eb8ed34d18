// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { initialInspectorState } from '../../store/inspector/initialState';
import { useAppStore } from '../../store/store';
import { InspectorView } from './InspectorView';

const img = '<img src=x onerror="window.__xss=1">';
const script = '<script>window.__xss=2</script>';

/** A trajectory whose model output is markup: in its tokens, its alternatives, its task id and its text. */
const record = {
  task_id: `task ${img}`,
  text: `The answer is ${img} ${script}`,
  tokens: ['The answer is ', img, ' <tool>', script],
  mask: [1, 1, 0, 1],
  student_logprobs: [-0.5, -1, -2, -0.3],
  teacher_logprobs: [-0.4, -2, -9, -0.2],
  student_top: [[['The', -0.5]], [[img, -1]], [], [[script, -0.3]]],
  teacher_top: [[['The', -0.4]], [[script, -0.1]], [], [[img, -0.2]]],
};

declare global {
  interface Window {
    __xss?: number;
  }
}

beforeAll(() => {
  // jsdom has no layout: ResponsiveContainer only needs the observer to exist.
  globalThis.ResizeObserver ??= class {
    observe() {}
    unobserve() {}
    disconnect() {}
  };
});
beforeEach(() => {
  useAppStore.setState({ ...initialInspectorState, explain: false });
  window.__xss = undefined;
});
afterEach(cleanup);

describe('InspectorView with model output that is HTML', () => {
  it('shows it as literal text and creates no img or script element', () => {
    // The second line is not JSON; its error quotes the markup back.
    const text = `${JSON.stringify(record)}\n{"tokens": [${script}]}`;
    act(() => useAppStore.getState().loadText(text, 'xss.jsonl'));
    render(<InspectorView />);

    // The tokens, as text.
    expect(screen.getByText(img)).toBeTruthy();
    expect(screen.getByText(script)).toBeTruthy();
    // The task id in the list of trajectories, and the bad line's error.
    expect(screen.getByRole('list', { name: 'Loaded trajectories' }).textContent).toContain(`task ${img}`);
    expect(screen.getByRole('list', { name: 'Lines that could not be read' }).textContent).toContain('<script>');

    // The token card, with both models' alternatives.
    fireEvent.mouseOver(screen.getByText(img));
    const card = screen.getByRole('tooltip');
    expect(within(card).getByRole('list', { name: 'Student’s top alternatives' }).textContent).toContain(
      '<img␣src=x␣onerror="window.__xss=1">',
    );
    expect(within(card).getByRole('list', { name: 'Teacher’s top alternatives' }).textContent).toContain(script);

    expect(document.querySelectorAll('img, script')).toHaveLength(0);
    expect(window.__xss).toBeUndefined();
  });
});
