// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useAppStore } from '../../store/store';
import { Explain, ExplainToggle } from './Explain';
import { explainTopics, type ExplainTopic } from './topics';

beforeEach(() => useAppStore.setState({ explain: false }));
afterEach(cleanup);

describe('Explain', () => {
  it('renders nothing while Explain mode is off, and the topic once it is on', () => {
    const { container } = render(<Explain topic="drift" />);
    expect(container.innerHTML).toBe('');
    act(() => useAppStore.getState().setExplain(true));
    const note = screen.getByRole('complementary', { name: 'Drift: d_k' });
    expect(note.textContent).toContain('mean');
    act(() => useAppStore.getState().setExplain(false));
    expect(container.innerHTML).toBe('');
  });

  it('has a short text for every topic', () => {
    for (const [topic, { title, text }] of Object.entries(explainTopics)) {
      expect(title, topic).not.toBe('');
      const sentences = text.split(/(?<=[.!?])\s+(?=[A-Z(])/).length;
      expect(sentences, `${topic}: ${text}`).toBeGreaterThanOrEqual(2);
      expect(sentences, `${topic}: ${text}`).toBeLessThanOrEqual(4);
    }
    const topics: ExplainTopic[] = [
      'step',
      'drift',
      'weight',
      'masked',
      'advantage',
      'opd',
      'models',
      'rollouts',
      'training',
      'export',
    ];
    expect(Object.keys(explainTopics).sort()).toEqual([...topics].sort());
  });
});

describe('ExplainToggle', () => {
  it('is a labelled switch bound to the store', () => {
    render(
      <>
        <ExplainToggle />
        <Explain topic="advantage" />
      </>,
    );
    const toggle = screen.getByRole('switch', { name: 'Explain mode' });
    expect(screen.queryByRole('complementary')).toBeNull();
    fireEvent.click(toggle);
    expect(useAppStore.getState().explain).toBe(true);
    expect(screen.getByRole('complementary', { name: 'Per-token advantage: a_t' })).toBeTruthy();
    fireEvent.click(toggle);
    expect(useAppStore.getState().explain).toBe(false);
    expect(screen.queryByRole('complementary')).toBeNull();
  });
});
