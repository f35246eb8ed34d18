import { describe, expect, it } from 'vitest';
import type { EvaluationSummary } from '../evaluate';
import type { Task } from '../tasks/task';
import type { Trajectory } from '../trajectory';
import { trainingOrder, type UpdateMetrics } from '../update';
import { defaultTrainingSettings, trainingPlan } from './settings';
import { RunControl, runTraining, type TrainingEvent, type TrainingPlan, type TrainingServices } from './run';

const defaultUpdate = trainingPlan(defaultTrainingSettings, []).update;

type Result = { trajectories: Trajectory[]; metrics: UpdateMetrics };

const tasks: Task[] = Array.from({ length: 5 }, (_, i) => ({
  id: `t${i}`,
  question: `q${i}`,
  answer: String(i),
  source: 'test',
}));

function plan(patch: Partial<TrainingPlan> = {}): TrainingPlan {
  return {
    updates: 3,
    promptsPerUpdate: 2,
    seed: 4,
    update: {
      ...defaultUpdate,
      groupSize: 2,
      sampling: { temperature: 1, topP: 1, topK: 0, seed: 4, maxNewTokens: 8, stopTokenIds: [], stopStrings: [] },
    },
    evalTasks: tasks.slice(0, 2),
    evalEvery: 0,
    ...patch,
  };
}

function metrics(update: number, loss: number): UpdateMetrics {
  return {
    update,
    method: 'sod',
    trajectories: 0,
    loss,
    gradNorm: 0,
    optimizerSteps: 1,
    ppoSteps: [],
    meanReward: 0,
    accuracy: 0,
    clipFraction: 0,
    approxKl: 0,
    generatedTokens: 0,
    tokensPerSecond: 0,
    seconds: { rollout: 0, score: 0, train: 0, total: 0 },
  };
}

const summary = (correct: number): EvaluationSummary => ({
  n: 2,
  correct,
  accuracy: correct / 2,
  mean_reward: 0,
  mean_tool_calls: 0,
  stop_reasons: {},
});

/** Services that record each call; `loss(u)` is update u's loss; `during(u)` runs inside update u. */
function fakeServices(options: { skipped?: (u: number) => string[] | undefined; during?: (u: number) => void } = {}) {
  const calls: string[] = [];
  const batches: string[][] = [];
  let evaluations = 0;
  const services: TrainingServices<Result> = {
    async update(u, batch, _settings, signal) {
      calls.push(`update ${u}`);
      batches.push(batch.map((t) => t.id));
      options.during?.(u);
      signal.throwIfAborted();
      const skipped = options.skipped?.(u);
      return { trajectories: [], metrics: { ...metrics(u, 0.5), ...(skipped !== undefined ? { skipped } : {}) } };
    },
    async evaluate(evalTasks, _signal, onProgress) {
      calls.push(`evaluate ${evalTasks.length}`);
      onProgress({ done: evalTasks.length, total: evalTasks.length, correct: 1 });
      return summary(evaluations++);
    },
  };
  return { services, calls, batches };
}

function collect(): { events: TrainingEvent<Result>[]; onEvent: (e: TrainingEvent<Result>) => void } {
  const events: TrainingEvent<Result>[] = [];
  return { events, onEvent: (e) => void events.push(e) };
}

describe('runTraining', () => {
  it('evaluates before and after, and gives each update the next prompts of the seeded order', async () => {
    const { services, calls, batches } = fakeServices();
    const { events, onEvent } = collect();
    await runTraining(plan(), tasks, services, new RunControl(), onEvent);

    expect(calls).toEqual(['evaluate 2', 'update 1', 'update 2', 'update 3', 'evaluate 2']);
    const order = trainingOrder(tasks, 4).map((t) => t.id);
    expect(batches).toEqual([order.slice(0, 2), order.slice(2, 4), [order[4], order[0]]]);
    const evaluations = events.filter((e) => e.kind === 'evaluation');
    expect(evaluations.map((e) => [e.when, e.afterUpdate, e.summary.correct])).toEqual([
      ['before', 0, 0],
      ['after', 3, 1],
    ]);
    expect(events.filter((e) => e.kind === 'update').map((e) => e.update)).toEqual([1, 2, 3]);
    const activity = events.flatMap((e) => (e.kind === 'activity' ? [e.text] : []));
    expect(activity).toContain('update 2 of 3: rollouts (0/4 trajectories)');
    expect(activity).toContain('evaluating after training: 2 of 2 held-out problems, 1 right');
  });

  it('evaluates every k updates as well when asked, and not at all without held-out tasks', async () => {
    const every = fakeServices();
    await runTraining(plan({ updates: 5, evalEvery: 2 }), tasks, every.services, new RunControl(), () => {});
    expect(every.calls.filter((c) => c.startsWith('evaluate'))).toHaveLength(4); // before, after 2, after 4, after 5

    const none = fakeServices();
    await runTraining(plan({ evalTasks: [], evalEvery: 1 }), tasks, none.services, new RunControl(), () => {});
    expect(none.calls).toEqual(['update 1', 'update 2', 'update 3']);
  });

  it('reports an update whose optimizer steps were skipped and goes on', async () => {
    const { services, calls } = fakeServices({
      skipped: (u) => (u === 2 ? ['step 1: the gradient norm is NaN'] : undefined),
    });
    const { events, onEvent } = collect();
    await runTraining(plan(), tasks, services, new RunControl(), onEvent);
    expect(calls).toEqual(['evaluate 2', 'update 1', 'update 2', 'update 3', 'evaluate 2']);
    const activity = events.flatMap((e) => (e.kind === 'activity' ? [e.text] : []));
    expect(activity.filter((t) => t.includes('skipped'))).toEqual([
      'update 2: 1 of 1 optimizer steps skipped (step 1: the gradient norm is NaN); the adapter and optimizer state are as before them. If this repeats, lower the learning rate.',
    ]);
  });

  it('pauses after the update in progress and goes on when resumed', async () => {
    const control = new RunControl();
    const { services, calls } = fakeServices({ during: (u) => (u === 1 ? control.pause() : undefined) });
    const { events, onEvent } = collect();
    const running = runTraining(plan({ evalTasks: [] }), tasks, services, control, onEvent);
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).toEqual(['update 1']);
    expect(events.at(-1)).toEqual({ kind: 'activity', text: 'paused after update 1 of 3' });
    control.resume();
    await running;
    expect(calls).toEqual(['update 1', 'update 2', 'update 3']);
  });

  it('stops: the update in progress is cancelled with an AbortError, the finished ones were reported', async () => {
    const control = new RunControl();
    const { services, calls } = fakeServices({ during: (u) => (u === 2 ? control.stop() : undefined) });
    const { events, onEvent } = collect();
    await expect(runTraining(plan(), tasks, services, control, onEvent)).rejects.toMatchObject({
      name: 'AbortError',
    });
    expect(calls).toEqual(['evaluate 2', 'update 1', 'update 2']);
    expect(events.filter((e) => e.kind === 'update').map((e) => e.update)).toEqual([1]);
  });

  it('resumes after a checkpoint: no evaluation before, the updates after it on the order given, a checkpoint after each', async () => {
    const { services, calls, batches } = fakeServices();
    const { events, onEvent } = collect();
    const order = trainingOrder(tasks, 4);
    await runTraining(plan({ evalEvery: 2 }), tasks, services, new RunControl(), onEvent, { afterUpdate: 1, order });
    expect(calls).toEqual(['update 2', 'evaluate 2', 'update 3', 'evaluate 2']);
    expect(batches).toEqual([order.slice(2, 4).map((t) => t.id), [order[4].id, order[0].id]]);
    // The checkpoint of update 2 comes after its evaluation, so a resume from it needs none.
    expect(
      events.flatMap((e) =>
        e.kind === 'checkpoint' || e.kind === 'evaluation'
          ? [`${e.kind} ${e.kind === 'checkpoint' ? e.update : e.when}`]
          : [],
      ),
    ).toEqual(['evaluation during', 'checkpoint 2', 'checkpoint 3', 'evaluation after']);
    await expect(
      runTraining(plan(), tasks, services, new RunControl(), onEvent, { afterUpdate: 4, order }),
    ).rejects.toThrow('a run of 3 updates cannot start after update 4');
  });

  it('refuses an empty training set', async () => {
    const { services } = fakeServices();
    await expect(runTraining(plan(), [], services, new RunControl(), () => {})).rejects.toThrow('holds no tasks');
  });
});
