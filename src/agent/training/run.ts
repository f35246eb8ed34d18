/**
 * The one training driver: the prompt order, the batch of each update, held-out evaluation
 * before, during and after, pause/resume/stop, the report of optimizer steps skipped for NaN
 * or infinite numbers and the progress of the run in words. The CLI and the playground's store are thin adapters over it;
 * they differ only in where an update runs (in-thread or in the student worker) and in what
 * they do with each event (write a JSONL line, or update the UI state).
 */
import type { EvaluationSummary } from '../evaluate';
import type { Task } from '../tasks/task';
import type { Trajectory } from '../trajectory';
import { promptsForUpdate, trainingOrder, type UpdateMetrics, type UpdateSettings } from '../update';

/** What a run does, in the engine's terms. */
export interface TrainingPlan {
  updates: number;
  promptsPerUpdate: number;
  /** Seeds the prompt order: a shuffle of the training tasks. */
  seed: number;
  update: UpdateSettings;
  /** Held-out problems solved greedily before the first update and after the last (none = no evaluation). */
  evalTasks: readonly Task[];
  /** Also evaluate after every `evalEvery` updates (0 = only before and after). */
  evalEvery: number;
}

export interface EvaluationProgress {
  done: number;
  total: number;
  correct: number;
}

/** Where the work happens: in this thread (CLI) or in the student worker (playground). */
export interface TrainingServices<R extends { trajectories: Trajectory[]; metrics: UpdateMetrics }> {
  update(update: number, tasks: readonly Task[], settings: UpdateSettings, signal: AbortSignal): Promise<R>;
  evaluate(
    tasks: readonly Task[],
    signal: AbortSignal,
    onProgress: (p: EvaluationProgress) => void,
  ): Promise<EvaluationSummary>;
}

export type EvaluationTime = 'before' | 'during' | 'after';

export type TrainingEvent<R> =
  | { kind: 'activity'; text: string }
  | { kind: 'update-start'; update: number; tasks: readonly Task[] }
  | { kind: 'update'; update: number; result: R }
  | { kind: 'evaluation'; when: EvaluationTime; afterUpdate: number; summary: EvaluationSummary }
  /**
   * Update `update` and the evaluation after it (if one was due) are all reported: the run can
   * be resumed from here (a front end takes its checkpoint now). `order` is the run's prompt order.
   */
  | { kind: 'checkpoint'; update: number; order: readonly Task[] };

/** Where a run starts: at the beginning, or after the updates a checkpoint holds. */
export interface TrainingStart {
  /** Updates already done (0 = a new run, which evaluates 'before' first). */
  afterUpdate: number;
  /** The prompt order, the checkpoint's; a new run's is `trainingOrder(tasks, plan.seed)`. */
  order: readonly Task[];
}

/**
 * Pause, resume and stop for a run. A pause takes effect after the update in progress; a stop
 * cancels it (the updates already finished are kept by whoever received their events).
 */
export class RunControl {
  private readonly controller = new AbortController();
  private pausedAt: { promise: Promise<void>; resume: () => void } | undefined;

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get paused(): boolean {
    return this.pausedAt !== undefined;
  }

  pause(): void {
    if (this.pausedAt !== undefined) return;
    let resume = () => {};
    const promise = new Promise<void>((r) => (resume = r));
    this.pausedAt = { promise, resume };
  }

  resume(): void {
    this.pausedAt?.resume();
    this.pausedAt = undefined;
  }

  stop(): void {
    this.controller.abort();
    this.resume();
  }

  /** Resolves at once when running, else when resumed or stopped. */
  waitWhilePaused(): Promise<void> {
    return this.pausedAt?.promise ?? Promise.resolve();
  }
}

/** What a run says of an update whose optimizer steps were skipped (NaN or infinite numbers); undefined when none was. */
export function skippedNote(metrics: UpdateMetrics): string | undefined {
  if (metrics.skipped === undefined || metrics.skipped.length === 0) return undefined;
  return (
    `update ${metrics.update}: ${metrics.skipped.length} of ${metrics.optimizerSteps} optimizer steps skipped ` +
    `(${metrics.skipped.join('; ')}); the adapter and optimizer state are as before them. ` +
    'If this repeats, lower the learning rate.'
  );
}

/** Runs the plan's updates over `trainTasks`; throws an AbortError after a stop. */
export async function runTraining<R extends { trajectories: Trajectory[]; metrics: UpdateMetrics }>(
  plan: TrainingPlan,
  trainTasks: readonly Task[],
  services: TrainingServices<R>,
  control: RunControl,
  onEvent: (event: TrainingEvent<R>) => void | Promise<void>,
  start: TrainingStart = { afterUpdate: 0, order: trainingOrder(trainTasks, plan.seed) },
): Promise<void> {
  if (trainTasks.length === 0) throw new Error('the training set holds no tasks');
  const { signal } = control;
  const { order, afterUpdate } = start;
  if (!Number.isInteger(afterUpdate) || afterUpdate < 0 || afterUpdate > plan.updates)
    throw new Error(`a run of ${plan.updates} updates cannot start after update ${afterUpdate}`);
  const evaluate = async (when: EvaluationTime, afterUpdate: number) => {
    const total = plan.evalTasks.length;
    if (total === 0) return;
    const label = when === 'during' ? `after update ${afterUpdate}` : `${when} training`;
    await onEvent({ kind: 'activity', text: `evaluating ${label}: 0 of ${total} held-out problems` });
    const summary = await services.evaluate(plan.evalTasks, signal, (p) =>
      onEvent({
        kind: 'activity',
        text: `evaluating ${label}: ${p.done} of ${p.total} held-out problems, ${p.correct} right`,
      }),
    );
    await onEvent({ kind: 'evaluation', when, afterUpdate, summary });
  };

  if (afterUpdate === 0) await evaluate('before', 0);
  for (let u = afterUpdate + 1; u <= plan.updates; u++) {
    if (control.paused) {
      await onEvent({ kind: 'activity', text: `paused after update ${u - 1} of ${plan.updates}` });
      await control.waitWhilePaused();
    }
    signal.throwIfAborted();
    const tasks = promptsForUpdate(order, u, plan.promptsPerUpdate);
    await onEvent({ kind: 'update-start', update: u, tasks });
    const total = tasks.length * plan.update.groupSize;
    await onEvent({ kind: 'activity', text: `update ${u} of ${plan.updates}: rollouts (0/${total} trajectories)` });
    const result = await services.update(u, tasks, plan.update, signal);
    await onEvent({ kind: 'update', update: u, result });
    const note = skippedNote(result.metrics);
    if (note !== undefined) await onEvent({ kind: 'activity', text: note });
    if (plan.evalEvery > 0 && u % plan.evalEvery === 0 && u < plan.updates) await evaluate('during', u);
    await onEvent({ kind: 'checkpoint', update: u, order });
  }
  await evaluate('after', plan.updates);
}
