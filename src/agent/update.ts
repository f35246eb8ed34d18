import { usesTeacher, type Method } from '../sod/advantages';
import { batchAdvantages } from '../sod/batch';
import type { PpoSettings } from '../sod/loss';
import { batchStepMetrics, type BatchStepMetrics } from '../sod/metrics';
import type { StepSettings } from '../sod/weights';
import type { ToolSandbox } from '../tools/sandbox';
import type { ChatFormat } from './chat';
import type { LogprobScorer, Policy, PolicyTrainer, SamplingSettings, TrainingSequence } from '../core/policy';
import { seededUniform } from '../core/random';
import { runRollout, type RolloutEvent, type RolloutLimits } from './rollout';
import type { Task } from './tasks/task';
import type { Trajectory } from './trajectory';

/** The models one update uses: the student samples, scores itself (s) and trains; the teacher scores (τ). */
export interface UpdateModels {
  student: Policy & LogprobScorer;
  trainer: PolicyTrainer;
  teacher?: LogprobScorer;
}

export interface UpdateSettings {
  method: Method;
  /** Samples per prompt (the GRPO group). */
  groupSize: number;
  /** Passes over the batch (verl's ppo_epochs). */
  ppoEpochs: number;
  /** Prompts per mini-batch (verl's ppo_mini_batch_size); each mini-batch is one optimizer step. */
  ppoMiniBatchSize: number;
  sampling: SamplingSettings;
  limits?: Partial<RolloutLimits>;
  step: StepSettings;
  ppo: PpoSettings;
}

/** Everything one update measured, for charts and metrics files. */
export interface UpdateMetrics {
  update: number;
  method: Method;
  trajectories: number;
  /** Mean over the update's optimizer steps taken (NaN when every one was skipped). */
  loss: number;
  /** Mean over the update's optimizer steps taken, before clipping. */
  gradNorm: number;
  /** ppoEpochs × mini-batches. */
  optimizerSteps: number;
  /** Why each skipped optimizer step was skipped (NaN or infinite log-probs, loss or gradient); absent when none was. */
  skipped?: string[];
  meanReward: number;
  accuracy: number;
  /** Token-weighted over every optimizer step of the update (0 in the first: the ratio starts at 1). */
  clipFraction: number;
  approxKl: number;
  /** Each optimizer step's own numbers, in order. */
  ppoSteps: PpoStepMetrics[];
  /** Step statistics of the batch (d_k, w_k by step index); absent for grpo. */
  steps?: BatchStepMetrics;
  generatedTokens: number;
  tokensPerSecond: number;
  seconds: { rollout: number; score: number; train: number; total: number };
}

export interface PpoStepMetrics {
  epoch: number;
  loss: number;
  gradNorm: number;
  /** Why this step was not taken (the adapter and optimizer state stayed as they were). */
  skipped?: string;
  tokens: number;
  clipFraction: number;
  approxKl: number;
}

/**
 * The optimizer steps of one update, as verl takes them: `epochs` passes over the batch, each
 * cut into mini-batches of `miniBatchSize` prompts (the last may be smaller), all G samples of
 * a prompt in the same mini-batch. Returns, per step, the indices of its trajectories (which
 * run prompt by prompt, G at a time, as sampleGroups returns them).
 */
export function ppoSchedule(prompts: number, groupSize: number, epochs: number, miniBatchSize: number): number[][] {
  for (const [name, v] of [
    ['prompts', prompts],
    ['group size', groupSize],
    ['PPO epochs', epochs],
    ['PPO mini-batch size', miniBatchSize],
  ] as const)
    if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer, got ${v}`);
  const steps: number[][] = [];
  for (let e = 0; e < epochs; e++)
    for (let first = 0; first < prompts; first += miniBatchSize) {
      const last = Math.min(first + miniBatchSize, prompts);
      steps.push(Array.from({ length: (last - first) * groupSize }, (_, i) => first * groupSize + i));
    }
  return steps;
}

export type UpdateEvent =
  | { kind: 'rollout'; index: number; total: number; event: RolloutEvent }
  | { kind: 'trajectory'; trajectory: Trajectory }
  | { kind: 'phase'; phase: 'rollout' | 'score' | 'train' };

/** What sampling groups of rollouts needs; the callbacks name each rollout's group, seed and sandbox session. */
export interface GroupSampling {
  tasks: readonly Task[];
  groupSize: number;
  policy: Policy;
  chat: ChatFormat;
  sandbox: ToolSandbox;
  sampling: SamplingSettings;
  limits?: Partial<RolloutLimits>;
  signal?: AbortSignal;
  group(task: Task): string;
  seed(index: number): number;
  session(index: number): string;
  onEvent?(index: number, total: number, event: RolloutEvent): void;
  /** Runs after each rollout (e.g. scoring it) before the next one starts. */
  onTrajectory?(trajectory: Trajectory, index: number): Promise<void> | void;
}

/** G rollouts of each task, one after another; after a cancel it returns the rollouts that finished. */
export async function sampleGroups(request: GroupSampling): Promise<Trajectory[]> {
  const trajectories: Trajectory[] = [];
  const total = request.tasks.length * request.groupSize;
  for (const task of request.tasks) {
    for (let g = 0; g < request.groupSize; g++) {
      const index = trajectories.length;
      const trajectory = await runRollout({
        task,
        group: request.group(task),
        policy: request.policy,
        recordLogprobs: true,
        chat: request.chat,
        sandbox: request.sandbox,
        sampling: { ...request.sampling, seed: request.seed(index) },
        limits: request.limits,
        session: request.session(index),
        signal: request.signal,
        onEvent: (event) => request.onEvent?.(index, total, event),
      });
      trajectories.push(trajectory);
      await request.onTrajectory?.(trajectory, index);
      if (request.signal?.aborted) return trajectories;
    }
  }
  return trajectories;
}

/**
 * Sets s (the student's log-probs, recomputed teacher-forced so s and the training pass agree
 * exactly) and, given a teacher, τ on every response token of `t`.
 */
export async function scoreTrajectory(
  t: Trajectory,
  student: LogprobScorer,
  teacher: LogprobScorer | undefined,
  signal?: AbortSignal,
): Promise<void> {
  t.student_logprobs = Array.from(await student.scoreTokens(t.prompt_ids, t.response_ids, signal));
  if (teacher !== undefined)
    t.teacher_logprobs = Array.from(await teacher.scoreTokens(t.prompt_ids, t.response_ids, signal));
}

/**
 * τ for each trajectory handed to `score`, computed in the background while the student rolls
 * out the next one: in the playground the teacher has a worker (and a core) of its own. One
 * call at a time, in order, so a scorer that keeps the last prompt's keys and values reuses
 * them. `finished` resolves when all are scored, or rejects with the first failure.
 */
function teacherInBackground(
  teacher: LogprobScorer,
  signal: AbortSignal | undefined,
): { score(t: Trajectory): void; finished(): Promise<void> } {
  let queue: Promise<void> = Promise.resolve();
  return {
    score(t) {
      queue = queue.then(async () => {
        t.teacher_logprobs = Array.from(await teacher.scoreTokens(t.prompt_ids, t.response_ids, signal));
      });
      // Seen by `finished`; until then (or if an abort means it never is) not an unhandled rejection.
      queue.catch(() => {});
    },
    finished: () => queue,
  };
}

/** The seed of the stream a run's prompt order is shuffled with. */
export function trainingShuffleSeed(seed: number): number {
  return seed + 17;
}

/** The seed of rollout `index` of update `update`: each rollout samples from a stream of its own. */
export function rolloutSeed(base: number, update: number, index: number): number {
  return base + 7919 * update + 104729 * index;
}

/** The prompt order of a training run: a seeded shuffle of the task set. */
export function trainingOrder(tasks: readonly Task[], seed: number): Task[] {
  const order = [...tasks];
  const uniform = seededUniform(trainingShuffleSeed(seed));
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(uniform() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/** The prompts of update `update` (1-based): the next `count` of the order, wrapping around. */
export function promptsForUpdate(order: readonly Task[], update: number, count: number): Task[] {
  return Array.from({ length: count }, (_, k) => order[((update - 1) * count + k) % order.length]);
}

/**
 * One SOD update (docs/architecture.md, "One update, step by step"): G rollouts per prompt, the teacher's τ and the
 * student's s for every trajectory, step weights and advantages from src/sod, then one
 * optimizer step on the PPO loss. Returns the scored trajectories and the metrics.
 */
export async function runUpdate(
  update: number,
  tasks: readonly Task[],
  models: UpdateModels,
  chat: ChatFormat,
  sandbox: ToolSandbox,
  settings: UpdateSettings,
  options: { signal?: AbortSignal; onEvent?: (e: UpdateEvent) => void } = {},
): Promise<{ trajectories: Trajectory[]; metrics: UpdateMetrics }> {
  const started = performance.now();
  const { method } = settings;
  const teacherModel = usesTeacher(method) ? models.teacher : undefined;
  if (usesTeacher(method) && teacherModel === undefined) throw new Error(`method ${method} needs a teacher`);
  const teacher = teacherModel && teacherInBackground(teacherModel, options.signal);
  options.onEvent?.({ kind: 'phase', phase: 'rollout' });
  const trajectories = await sampleGroups({
    tasks,
    groupSize: settings.groupSize,
    policy: models.student,
    chat,
    sandbox,
    sampling: settings.sampling,
    limits: settings.limits,
    signal: options.signal,
    group: (task) => `${update}:${task.id}`,
    seed: (index) => rolloutSeed(settings.sampling.seed, update, index),
    session: (index) => `u${update}-t${index}`,
    onEvent: (index, total, event) => options.onEvent?.({ kind: 'rollout', index, total, event }),
    onTrajectory: (trajectory) => {
      teacher?.score(trajectory);
      options.onEvent?.({ kind: 'trajectory', trajectory });
    },
  });
  options.signal?.throwIfAborted();
  const rolledOut = performance.now();

  options.onEvent?.({ kind: 'phase', phase: 'score' });
  // The student's s after every rollout (its scorer shares the policy's cache), then what the
  // teacher has left of its queue.
  for (const t of trajectories) await scoreTrajectory(t, models.student, undefined, options.signal);
  await teacher?.finished();
  const scored = performance.now();

  const batch = batchAdvantages(
    trajectories.map((t) => ({
      mask: t.mask,
      studentLogprobs: t.student_logprobs,
      teacherLogprobs: t.teacher_logprobs,
      reward: t.reward,
      group: t.group,
    })),
    method,
    settings.step,
  );
  // Each optimizer step is a PPO step on its mini-batch against the rollout log-probs s: from
  // the second step on, the adapter has moved and the ratio, clipping and KL mean something.
  options.onEvent?.({ kind: 'phase', phase: 'train' });
  const schedule = ppoSchedule(tasks.length, settings.groupSize, settings.ppoEpochs, settings.ppoMiniBatchSize);
  const ppoSteps: PpoStepMetrics[] = [];
  const stepsPerEpoch = schedule.length / settings.ppoEpochs;
  for (const [s, members] of schedule.entries()) {
    options.signal?.throwIfAborted();
    const chosen = members.filter((i) => i < trajectories.length && trajectories[i].response_ids.length > 0);
    const tokens = chosen.reduce((n, i) => n + trajectories[i].mask.reduce((a, m) => a + m, 0), 0);
    // The trainer computes src/sod's ppoLoss where the log-probs are (on a GPU: one read per step).
    const sequences: TrainingSequence[] = chosen.map((i) => {
      const t = trajectories[i];
      return {
        promptIds: t.prompt_ids,
        responseIds: t.response_ids,
        ppo: {
          oldLogprobs: t.student_logprobs ?? [],
          advantages: batch.advantages[i],
          mask: t.mask,
          settings: settings.ppo,
          tokenCount: tokens,
        },
      };
    });
    const step = await models.trainer.trainStep(sequences);
    const counts = step.ppo;
    ppoSteps.push({
      epoch: Math.floor(s / stepsPerEpoch) + 1,
      loss: step.loss,
      gradNorm: step.gradNorm,
      tokens,
      clipFraction: counts !== undefined && counts.tokens > 0 ? counts.clipped / counts.tokens : 0,
      approxKl: counts !== undefined && counts.tokens > 0 ? counts.klSum / counts.tokens : 0,
      ...(step.skipped !== undefined ? { skipped: step.skipped } : {}),
    });
  }
  const finished = performance.now();

  const weightings = batch.weightings.filter((w) => w !== undefined);
  const generated = trajectories.reduce((n, t) => n + t.mask.reduce((a, m) => a + m, 0), 0);
  // The numbers of the steps taken: a skipped step's NaN would hide the others'.
  const taken = ppoSteps.filter((p) => p.skipped === undefined);
  const trainedTokens = taken.reduce((n, p) => n + p.tokens, 0);
  const tokenMean = (read: (p: PpoStepMetrics) => number) =>
    trainedTokens > 0 ? taken.reduce((sum, p) => sum + read(p) * p.tokens, 0) / trainedTokens : 0;
  return {
    trajectories,
    metrics: {
      update,
      method,
      trajectories: trajectories.length,
      loss: taken.length > 0 ? mean(taken.map((p) => p.loss)) : Number.NaN,
      gradNorm: taken.length > 0 ? mean(taken.map((p) => p.gradNorm)) : Number.NaN,
      optimizerSteps: ppoSteps.length,
      ...(taken.length < ppoSteps.length
        ? { skipped: ppoSteps.flatMap((p, i) => (p.skipped !== undefined ? [`step ${i + 1}: ${p.skipped}`] : [])) }
        : {}),
      meanReward: mean(trajectories.map((t) => t.reward)),
      accuracy: mean(trajectories.map((t) => (t.correct ? 1 : 0))),
      clipFraction: tokenMean((p) => p.clipFraction),
      approxKl: tokenMean((p) => p.approxKl),
      ppoSteps,
      ...(weightings.length > 0 ? { steps: batchStepMetrics(weightings) } : {}),
      generatedTokens: generated,
      tokensPerSecond: generated / Math.max((rolledOut - started) / 1000, 1e-9),
      seconds: {
        rollout: (rolledOut - started) / 1000,
        score: (scored - rolledOut) / 1000,
        train: (finished - scored) / 1000,
        total: (finished - started) / 1000,
      },
    },
  };
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}
