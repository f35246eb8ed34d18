// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useAppStore } from '../../store/store';
import { defaultTrainingSettings } from '../../agent/training/settings';
import { metrics, run } from './fixtures';
import { TrainingView } from './TrainingView';
import { loadedModel } from '../../../tests/support/loaded-model';

const initial = useAppStore.getState();
beforeEach(() => useAppStore.setState(initial, true));
afterEach(cleanup);

const loaded = loadedModel({ layers: 3 });
const ready = () =>
  useAppStore.setState({
    student: { presetId: 'demo-student', status: 'ready', loaded },
    teacher: { presetId: 'demo-teacher', status: 'ready', loaded },
  });

describe('TrainingView', () => {
  it('keeps an invalid learning rate as typed, says why, and leaves the store’s value alone', () => {
    render(<TrainingView />);
    const lr = screen.getByLabelText('Learning rate');
    fireEvent.change(lr, { target: { value: '-3' } });
    expect((lr as HTMLInputElement).value).toBe('-3');
    expect(screen.getByText(/Must be between 1e-7 and 1/)).toBeTruthy();
    expect(useAppStore.getState().trainingSettings.learningRate).toBe(defaultTrainingSettings.learningRate);
    fireEvent.change(lr, { target: { value: '0.0005' } });
    expect(useAppStore.getState().trainingSettings.learningRate).toBe(0.0005);
  });

  it('hides ε, δ and c for GRPO, which has no teacher term', () => {
    render(<TrainingView />);
    expect(screen.queryByLabelText('δ (delta)')).not.toBeNull();
    fireEvent.change(screen.getByLabelText('Method'), { target: { value: 'grpo' } });
    expect(screen.queryByLabelText('δ (delta)')).toBeNull();
  });

  it('enables Start only once the models are ready, and offers Pause and Stop while a run runs', () => {
    const startRun = vi.fn(async () => {});
    const pauseRun = vi.fn();
    const stopRun = vi.fn();
    useAppStore.setState({ startRun, pauseRun, stopRun });
    const { rerender } = render(<TrainingView />);
    const start = screen.getByRole('button', { name: 'Start run' }) as HTMLButtonElement;
    expect(start.disabled).toBe(true);
    ready();
    rerender(<TrainingView />);
    fireEvent.click(screen.getByRole('button', { name: 'Start run' }));
    expect(startRun).toHaveBeenCalledOnce();
    useAppStore.setState({
      runs: [run('r1', 'SOD #1', 'sod', [metrics(1)], { status: 'running' })],
      trainingActivity: 'update 2 of 5: rollouts (1/4 trajectories)',
    });
    rerender(<TrainingView />);
    expect(screen.getByRole('status').textContent).toBe('SOD #1: update 2 of 5: rollouts (1/4 trajectories)');
    fireEvent.click(screen.getByRole('button', { name: 'Pause' }));
    fireEvent.click(screen.getByRole('button', { name: 'Stop' }));
    expect(pauseRun).toHaveBeenCalledOnce();
    expect(stopRun).toHaveBeenCalledOnce();
    expect((screen.getByRole('button', { name: 'Start run' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('shows the verl settings of a run, with its learning rate and group size', () => {
    useAppStore.setState({
      runs: [
        run('r1', 'SOD #1', 'sod', [metrics(1)], {
          status: 'done',
          settings: { ...defaultTrainingSettings, learningRate: 0.00025, groupSize: 6 },
        }),
      ],
    });
    render(<TrainingView />);
    const text = screen.getByText(/actor_rollout_ref\.rollout\.n=6/).textContent ?? '';
    expect(text).toContain('actor_rollout_ref.actor.optim.lr=0.00025');
  });

  it('offers a stopped run with a checkpoint to be resumed, once the models are ready, and shows why a checkpoint failed', () => {
    const resumeFromCheckpoint = vi.fn(async () => {});
    const refreshCheckpoints = vi.fn(async () => {});
    useAppStore.setState({
      resumeFromCheckpoint,
      refreshCheckpoints,
      runs: [
        run('r1', 'SOD #1', 'sod', [metrics(1), metrics(2)], {
          status: 'stopped',
          checkpoint: 2,
          checkpointError: 'This browser’s storage is full: the checkpoint of SOD #1 after update 3 was not saved.',
        }),
      ],
    });
    const { rerender } = render(<TrainingView />);
    expect(refreshCheckpoints).toHaveBeenCalledOnce();
    const resume = screen.getByRole('button', { name: 'Resume run from update 2' }) as HTMLButtonElement;
    expect(resume.disabled).toBe(true);
    ready();
    rerender(<TrainingView />);
    fireEvent.click(screen.getByRole('button', { name: 'Resume run from update 2' }));
    expect(resumeFromCheckpoint).toHaveBeenCalledWith('r1');
    expect(screen.getByRole('alert').textContent).toMatch(/storage is full/);
  });
});
