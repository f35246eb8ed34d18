import { afterAll, describe, expect, it } from 'vitest';
import { inThreadServices } from '../../tests/support/in-thread-playground';
import { createAppStore } from './store';

/** The store's model, rollout and training actions against the real handlers (CPU, demo pair) in this thread. */
describe('the playground store', () => {
  const services = inThreadServices();
  const store = createAppStore(services);
  afterAll(() => services.dispose());

  it('refuses to roll out before the models are loaded, with a message saying what to do', async () => {
    await store.getState().runRollouts();
    expect(store.getState().rolloutError).toMatch(/Load a student and a teacher first/);
  });

  it('loads the demo pair with progress and reports the backend', async () => {
    expect(store.getState().backend).toBe('cpu');
    await store.getState().loadModels();
    const { student, teacher } = store.getState();
    expect(student.status).toBe('ready');
    expect(teacher.status).toBe('ready');
    expect(student.loaded?.layers).toBe(3);
    expect(teacher.progress?.phase).toBe('upload');
  }, 60_000);

  it('runs rollouts whose live slots end with scored trajectories, and opens one in the inspector', async () => {
    store.getState().setRolloutSettings({ problems: 2, groupSize: 1, maxTokens: 160, maxTurns: 3 });
    await store.getState().runRollouts();
    const { live, rolloutError, rolloutStatus } = store.getState();
    expect(rolloutError).toBeUndefined();
    expect(rolloutStatus).toBe('idle');
    expect(live.map((t) => t.status)).toEqual(['done', 'done']);
    const first = live[0];
    expect(first.segments.some((s) => s.kind === 'text' && s.text.length > 0)).toBe(true);
    expect(first.tokens).toBe(first.result?.mask.reduce((a, m) => a + m, 0));
    store.getState().inspect(
      live.flatMap((t) => (t.result ? [t.result] : [])),
      1,
      'rollouts',
    );
    const s = store.getState();
    expect(s.view).toBe('inspect');
    expect(s.selected).toBe(1);
    expect(s.trajectories[1].record.teacher_logprobs).toHaveLength(live[1].result?.response_ids.length ?? -1);
    await s.loadAlternatives();
    const top = store.getState().trajectories[1].record.teacher_top;
    expect(Array.isArray(top) && top.length).toBe(live[1].result?.response_ids.length);
  }, 120_000);

  it('runs 2 SOD updates with evaluations before and after; a second run overlays the first', async () => {
    store.getState().setTrainingSettings({
      updates: 2,
      promptsPerUpdate: 1,
      groupSize: 2,
      evalProblems: 2,
      maxTokens: 160,
      maxTurns: 3,
    });
    await store.getState().startRun();
    let [run] = store.getState().runs;
    expect(run.error).toBeUndefined();
    expect(run.status).toBe('done');
    expect(run.metrics.map((m) => m.update)).toEqual([1, 2]);
    expect(run.metrics.every((m) => m.steps !== undefined && m.trajectories === 2)).toBe(true);
    expect(run.evaluation.before?.n).toBe(2);
    expect(run.evaluation.after?.n).toBe(2);
    // evalEvery 0: the held-out curve has the two ends only.
    expect(run.curve.map((p) => [p.update, p.n])).toEqual([
      [0, 2],
      [2, 2],
    ]);
    expect(run.curve[1].accuracy).toBe(run.evaluation.after?.accuracy);
    expect(store.getState().runTrajectories[run.id]).toHaveLength(4);
    store.getState().setTrainingSettings({ method: 'grpo', updates: 1, evalProblems: 0 });
    await store.getState().startRun();
    const runs = store.getState().runs;
    expect(runs.map((r) => [r.label, r.status, r.metrics.length])).toEqual([
      ['SOD #1', 'done', 2],
      ['GRPO #2', 'done', 1],
    ]);
    [run] = runs;
    expect(run.metrics).toHaveLength(2);
  }, 300_000);

  it('pauses after the update in progress and resumes where it stopped', async () => {
    store.getState().setTrainingSettings({ method: 'sod', updates: 2, evalProblems: 0 });
    const started = store.getState().startRun();
    const when = (ok: (s: ReturnType<typeof store.getState>) => boolean) =>
      new Promise<void>((resolve) => {
        const unsubscribe = store.subscribe((s) => {
          if (ok(s)) {
            unsubscribe();
            resolve();
          }
        });
      });
    await when((s) => s.trainingActivity?.startsWith('update 1 of 2') === true);
    store.getState().pauseRun();
    const id = store.getState().runs[2].id;
    const run = () => store.getState().runs.find((r) => r.id === id);
    expect(run()?.status).toBe('paused');
    await when((s) => s.trainingActivity?.startsWith('paused after update 1') === true);
    expect(run()?.metrics).toHaveLength(1);
    store.getState().resumeRun();
    await started;
    expect(run()?.status).toBe('done');
    expect(run()?.metrics.map((m) => m.update)).toEqual([1, 2]);
  }, 300_000);

  it('stops a run mid-update and keeps the updates that finished', async () => {
    store.getState().setTrainingSettings({ method: 'sod', updates: 3, evalProblems: 0 });
    const started = store.getState().startRun();
    // Stop once the first update's metrics have arrived.
    await new Promise<void>((resolve) => {
      const unsubscribe = store.subscribe((s) => {
        if ((s.runs[3]?.metrics.length ?? 0) >= 1) {
          unsubscribe();
          resolve();
        }
      });
    });
    store.getState().stopRun();
    await started;
    const run = store.getState().runs[3];
    expect(run.status).toBe('stopped');
    expect(run.metrics.length).toBeGreaterThanOrEqual(1);
    expect(run.metrics.length).toBeLessThan(3);
  }, 300_000);
});
