// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Task } from '../../agent/tasks/task';
import type { LiveTrajectory } from '../../store/rollouts/live';
import { useAppStore } from '../../store/store';
import type { PlaygroundTrajectory } from '../../workers/protocols';
import { rolloutSummary, RolloutsView } from './RolloutsView';

const initial = useAppStore.getState();
beforeEach(() => useAppStore.setState(initial, true));
afterEach(cleanup);

const task = (id: string, question: string, answer: string): Task => ({ id, question, answer, source: 'test' });
const t1 = task('arith-0001', 'What is 17 * 23?', '391');
const t2 = task('arith-0002', 'What is 2 + 3?', '5');

function result(patch: Partial<PlaygroundTrajectory>): PlaygroundTrajectory {
  return {
    task_id: 'arith-0001',
    group: '0',
    question: t1.question,
    reference_answer: '391',
    prompt_ids: [1],
    response_ids: [2, 3],
    mask: [1, 1],
    turn_spans: [{ start: 0, end: 2 }],
    tool_calls: [{ turn: 0, code: 'print(17*23)', output: '391\n', error: null, duration_ms: 3 }],
    answer: '391',
    correct: true,
    reward: 1,
    turns: 3,
    stop_reason: 'answer',
    text: 'x',
    timings: { generate_ms: 1, tool_ms: 1, total_ms: 2 },
    tokens: ['a', 'b'],
    ...patch,
  };
}

const slot = (index: number, t: Task, patch: Partial<LiveTrajectory> = {}): LiveTrajectory => ({
  index,
  task: t,
  segments: [],
  tokens: 0,
  status: 'waiting',
  ...patch,
});

const ready = {
  student: { presetId: 'demo-student', status: 'ready' as const },
  teacher: { presetId: 'demo-teacher', status: 'ready' as const },
};

const card = (name: RegExp): HTMLElement => screen.getByRole('article', { name });

describe('RolloutsView cards', () => {
  it('streams text with tool runs inline: the code, then its output or its error', () => {
    useAppStore.setState({
      live: [
        slot(0, t1, {
          status: 'running',
          tokens: 12,
          segments: [
            { kind: 'text', text: 'Let me compute.' },
            { kind: 'tool', code: 'print(17*23)', output: '391\n', error: null },
            { kind: 'text', text: 'So it is 391.' },
            { kind: 'tool', code: 'print(1/0)', output: '', error: 'ZeroDivisionError: division by zero' },
            { kind: 'tool', code: 'print(2)' },
          ],
        }),
        slot(1, t1),
      ],
    });
    render(<RolloutsView />);
    const first = card(/Problem 1 · sample 1/);
    expect(within(first).getByText('writing… 12 tokens')).toBeTruthy();
    const text = within(first).getByLabelText('Text of trajectory 1');
    const parts = [...text.children].map((el) => el.textContent);
    expect(parts).toEqual([
      'Let me compute.',
      'Pythonprint(17*23)Output391\n',
      'So it is 391.',
      'Pythonprint(1/0)ErrorZeroDivisionError: division by zero',
      'Pythonprint(2)running…',
    ]);
    expect([...text.querySelectorAll('[data-tool-state]')].map((el) => el.getAttribute('data-tool-state'))).toEqual([
      'done',
      'error',
      'running',
    ]);
    expect(text.querySelector('.rollout-tool-error')?.textContent).toContain('ZeroDivisionError');
    const second = card(/Problem 1 · sample 2/);
    expect(within(second).getByText('waiting')).toBeTruthy();
    expect(within(second).queryByLabelText(/Text of trajectory/)).toBeNull();
  });

  it('shows a finished trajectory with answer, ✓/✗, reward and outcome; Inspect opens the finished ones at its place', () => {
    const right = result({});
    const wrong = result({
      task_id: 'arith-0002',
      question: t2.question,
      reference_answer: '5',
      answer: '6',
      correct: false,
      reward: -0.1,
      tool_calls: [{ turn: 0, code: 'print(2+3)', output: '5\n', error: null, duration_ms: 1 }],
      stop_reason: 'max_turns',
    });
    const inspect = vi.fn();
    useAppStore.setState({
      inspect,
      live: [
        slot(0, t1, { status: 'done', tokens: 30, result: right, segments: [{ kind: 'text', text: 'done' }] }),
        slot(1, t1, { status: 'running', tokens: 4, segments: [{ kind: 'text', text: 'thin' }] }),
        slot(2, t2, { status: 'done', tokens: 25, result: wrong, segments: [{ kind: 'text', text: 'hm' }] }),
      ],
    });
    render(<RolloutsView />);
    expect(screen.getByRole('status').textContent).toBe('2 of 3 finished · 1 right · mean reward 0.45');

    const value = (el: HTMLElement, key: string) => el.querySelector(`[data-value="${key}"] dd`)?.textContent;
    const a = card(/Problem 1 · sample 1/);
    expect([
      value(a, 'answer'),
      value(a, 'reference'),
      value(a, 'correct'),
      value(a, 'reward'),
      value(a, 'outcome'),
    ]).toEqual(['391', '391', '✓ right', '1.00', 'right']);
    expect(within(a).getByText('done · 30 tokens')).toBeTruthy();
    const c = card(/Problem 2 · sample 1/);
    expect([
      value(c, 'answer'),
      value(c, 'correct'),
      value(c, 'reward'),
      value(c, 'stop'),
      value(c, 'outcome'),
    ]).toEqual(['6', '✗ wrong', '−0.10', 'reached max turns', 'miscopied answer']);
    expect(screen.queryByRole('button', { name: 'Inspect trajectory 2' })).toBeNull();

    fireEvent.click(screen.getByRole('button', { name: 'Inspect trajectory 3' }));
    expect(inspect).toHaveBeenCalledWith([right, wrong], 1, 'rollouts');
  });

  it('keeps focus where it is while new tokens arrive', () => {
    useAppStore.setState({
      live: [slot(0, t1, { status: 'running', tokens: 1, segments: [{ kind: 'text', text: 'a' }] })],
    });
    render(<RolloutsView />);
    const seed = screen.getByRole('spinbutton', { name: 'Seed' });
    seed.focus();
    act(() =>
      useAppStore.setState({
        live: [slot(0, t1, { status: 'running', tokens: 2, segments: [{ kind: 'text', text: 'ab' }] })],
      }),
    );
    expect(screen.getByText('writing… 2 tokens')).toBeTruthy();
    expect(document.activeElement).toBe(seed);
  });

  it('shows the rollout error as an alert, and an empty state before any run', () => {
    useAppStore.setState({ rolloutError: 'tasks/arithmetic-test.jsonl: HTTP 404' });
    render(<RolloutsView />);
    expect(screen.getByRole('alert').textContent).toBe('tasks/arithmetic-test.jsonl: HTTP 404');
    expect(screen.getByText(/No rollouts yet/)).toBeTruthy();
  });
});

describe('RolloutsView settings', () => {
  it('shows why an invalid group size is refused, keeps what was typed, and leaves the store alone until it is valid', () => {
    render(<RolloutsView />);
    const group = screen.getByRole<HTMLInputElement>('spinbutton', { name: 'Group size' });
    expect(group.value).toBe('2');
    fireEvent.change(group, { target: { value: '0' } });
    expect(group.value).toBe('0');
    expect(group.getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByText('Must be between 1 and 16.')).toBeTruthy();
    expect(useAppStore.getState().rolloutSettings.groupSize).toBe(2);
    fireEvent.change(group, { target: { value: '4' } });
    expect(useAppStore.getState().rolloutSettings.groupSize).toBe(4);
    expect(screen.queryByText('Must be between 1 and 16.')).toBeNull();
    expect(group.getAttribute('aria-invalid')).toBe('false');
  });

  it('shows the first problem 1-based and stores it 0-based; other fields write through', () => {
    render(<RolloutsView />);
    const first = screen.getByRole<HTMLInputElement>('spinbutton', { name: 'First problem' });
    expect(first.value).toBe('1');
    fireEvent.change(first, { target: { value: '5' } });
    expect(useAppStore.getState().rolloutSettings.first).toBe(4);
    fireEvent.change(screen.getByRole('spinbutton', { name: 'Temperature' }), { target: { value: '0.7' } });
    fireEvent.change(screen.getByRole('spinbutton', { name: 'Max tokens per turn' }), { target: { value: '128' } });
    fireEvent.change(screen.getByRole('combobox', { name: 'Task set' }), { target: { value: 'competition.jsonl' } });
    expect(useAppStore.getState().rolloutSettings).toMatchObject({
      first: 4,
      temperature: 0.7,
      maxTokens: 128,
      taskSet: 'competition.jsonl',
    });
    // The competition set has 32 problems: 40 is refused.
    fireEvent.change(first, { target: { value: '40' } });
    expect(screen.getByText('Must be between 1 and 32.')).toBeTruthy();
    expect(useAppStore.getState().rolloutSettings.first).toBe(4);
  });

  it('disables Run until both models are ready, then runs; Stop shows while running', () => {
    const runRollouts = vi.fn(async () => {});
    const stopRollouts = vi.fn();
    useAppStore.setState({ runRollouts, stopRollouts });
    render(<RolloutsView />);
    const run = screen.getByRole<HTMLButtonElement>('button', { name: 'Run rollouts' });
    expect(run.disabled).toBe(true);
    expect(screen.getByText('Load a student and a teacher first (Models step).')).toBeTruthy();
    act(() => useAppStore.setState({ ...ready, student: { ...ready.student, status: 'loading' } }));
    expect(run.disabled).toBe(true);
    act(() => useAppStore.setState(ready));
    expect(run.disabled).toBe(false);
    expect(screen.queryByRole('button', { name: 'Stop' })).toBeNull();
    fireEvent.click(run);
    expect(runRollouts).toHaveBeenCalledOnce();

    fireEvent.change(screen.getByRole('spinbutton', { name: 'Group size' }), { target: { value: '0' } });
    expect(run.disabled).toBe(true);
    expect(screen.getByText('Fix the marked fields first.')).toBeTruthy();
    fireEvent.change(screen.getByRole('spinbutton', { name: 'Group size' }), { target: { value: '3' } });

    act(() => useAppStore.setState({ rolloutStatus: 'running' }));
    expect(run.disabled).toBe(true);
    fireEvent.click(screen.getByRole('button', { name: 'Stop' }));
    expect(stopRollouts).toHaveBeenCalledOnce();
  });
});

describe('rolloutSummary', () => {
  it('counts finished and right trajectories and averages the reward of the finished ones', () => {
    expect(rolloutSummary([])).toBe('0 of 0 finished');
    expect(rolloutSummary([slot(0, t1), slot(1, t1)])).toBe('0 of 2 finished');
    expect(
      rolloutSummary([slot(0, t1, { status: 'done', result: result({ reward: 0.2, correct: false }) }), slot(1, t1)]),
    ).toBe('1 of 2 finished · 0 right · mean reward 0.20');
  });
});
