import { usesTeacher, type Method } from '../sod/advantages';
import { batchAdvantages } from '../sod/batch';
import { ppoLoss, defaultPpoSettings, type PpoSettings } from '../sod/loss';
import { batchStepMetrics, type BatchStepMetrics } from '../sod/metrics';
import { defaultStepSettings, type StepSettings } from '../sod/weights';
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
  sampling: SamplingSettings;
  limits?: Partial<RolloutLimits>;
  step: StepSettings;
  ppo: PpoSettings;
}

export const defaultUpdateSettings: Omit<UpdateSettings, 'sampling'> = {
  method: 'sod',
  groupSize: 4,
  step: defaultStepSettings,
  ppo: defaultPpoSettings,
};

/** Everything one update measured, for charts and metrics files. */
export interface UpdateMetrics {
  update: number;
  method: Method;
  trajectories: number;
  loss: number;
  gradNorm: number;
  meanReward: number;
  accuracy: number;
  /** Token-weighted over the batch. */
  clipFraction: number;
  approxKl: number;
  /** Step statistics of the batch (d_k, w_k by step index); absent for grpo. */
  steps?: BatchStepMetrics;
  generatedTokens: number;
  tokensPerSecond: number;
  seconds: { rollout: number; score: number; train: number; total: number };
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

/** The prompt order of a training run: a seeded shuffle of the task set. */
export function trainingOrder(tasks: readonly Task[], seed: number): Task[] {
  const order = [...tasks];
  const uniform = seededUniform(seed + 17);
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
    seed: (index) => settings.sampling.seed + 7919 * update + 104729 * index,
    session: (index) => `u${update}-t${index}`,
    onEvent: (index, total, event) => options.onEvent?.({ kind: 'rollout', index, total, event }),
    onTrajectory: (trajectory) => options.onEvent?.({ kind: 'trajectory', trajectory }),
  });
  options.signal?.throwIfAborted();
  const rolledOut = performance.now();

  options.onEvent?.({ kind: 'phase', phase: 'score' });
  if (usesTeacher(method) && models.teacher === undefined) throw new Error(`method ${method} needs a teacher`);
  for (const t of trajectories)
    await scoreTrajectory(t, models.student, usesTeacher(method) ? models.teacher : undefined, options.signal);
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
  const tokenCount = trajectories.reduce((n, t) => n + t.mask.reduce((a, m) => a + m, 0), 0);
  let clipped = 0;
  let kl = 0;
  const sequences: TrainingSequence[] = trajectories
    .map((t, i) => ({ t, i }))
    .filter(({ t }) => t.response_ids.length > 0)
    .map(({ t, i }) => ({
      promptIds: t.prompt_ids,
      responseIds: t.response_ids,
      loss: (logprobs: Float64Array) => {
        const r = ppoLoss(
          { logprobs, oldLogprobs: t.student_logprobs ?? [], advantages: batch.advantages[i], mask: t.mask },
          settings.ppo,
          tokenCount,
        );
        clipped += r.clipFraction * r.tokens;
        kl += r.approxKl * r.tokens;
        return r;
      },
    }));
  options.onEvent?.({ kind: 'phase', phase: 'train' });
  const step = await models.trainer.trainStep(sequences);
  const finished = performance.now();

  const weightings = batch.weightings.filter((w) => w !== undefined);
  const generated = tokenCount;
  return {
    trajectories,
    metrics: {
      update,
      method,
      trajectories: trajectories.length,
      loss: step.loss,
      gradNorm: step.gradNorm,
      meanReward: mean(trajectories.map((t) => t.reward)),
      accuracy: mean(trajectories.map((t) => (t.correct ? 1 : 0))),
      clipFraction: tokenCount > 0 ? clipped / tokenCount : 0,
      approxKl: tokenCount > 0 ? kl / tokenCount : 0,
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
