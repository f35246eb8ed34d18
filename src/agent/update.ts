import { usesTeacher, type Method } from '../sod/advantages';
import { batchAdvantages } from '../sod/batch';
import { ppoLoss, defaultPpoSettings, type PpoSettings } from '../sod/loss';
import { batchStepMetrics, type BatchStepMetrics } from '../sod/metrics';
import { defaultStepSettings, type StepSettings } from '../sod/weights';
import type { ToolSandbox } from '../tools/sandbox';
import type { ChatFormat } from './chat';
import type { LogprobScorer, Policy, PolicyTrainer, SamplingSettings, TrainingSequence } from './policy';
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

export const defaultUpdateSettings: Omit<UpdateSettings, 'sampling'> = { method: 'sod', groupSize: 4, step: defaultStepSettings, ppo: defaultPpoSettings };

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

export type UpdateEvent = { kind: 'rollout'; index: number; total: number; event: RolloutEvent } | { kind: 'trajectory'; trajectory: Trajectory } | { kind: 'phase'; phase: 'rollout' | 'score' | 'train' };

/**
 * One SOD update (shared/DESIGN.md §3): G rollouts per prompt, the teacher's τ and the
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
  const trajectories: Trajectory[] = [];
  const total = tasks.length * settings.groupSize;
  for (const task of tasks) {
    for (let g = 0; g < settings.groupSize; g++) {
      const index = trajectories.length;
      const trajectory = await runRollout({
        task,
        group: `${update}:${task.id}`,
        policy: models.student,
        recordLogprobs: true,
        chat,
        sandbox,
        sampling: { ...settings.sampling, seed: settings.sampling.seed + 7919 * update + 104729 * index },
        limits: settings.limits,
        session: `u${update}-t${index}`,
        signal: options.signal,
        onEvent: (event) => options.onEvent?.({ kind: 'rollout', index, total, event }),
      });
      trajectories.push(trajectory);
      options.onEvent?.({ kind: 'trajectory', trajectory });
      options.signal?.throwIfAborted();
    }
  }
  const rolledOut = performance.now();

  options.onEvent?.({ kind: 'phase', phase: 'score' });
  for (const t of trajectories) {
    // s: the rollout policy's log-probs, recomputed teacher-forced so s and the training pass agree exactly.
    t.student_logprobs = Array.from(await models.student.scoreTokens(t.prompt_ids, t.response_ids, options.signal));
    if (usesTeacher(method)) {
      if (models.teacher === undefined) throw new Error(`method ${method} needs a teacher`);
      t.teacher_logprobs = Array.from(await models.teacher.scoreTokens(t.prompt_ids, t.response_ids, options.signal));
    }
  }
  const scored = performance.now();

  const batch = batchAdvantages(
    trajectories.map((t) => ({ mask: t.mask, studentLogprobs: t.student_logprobs, teacherLogprobs: t.teacher_logprobs, reward: t.reward, group: t.group })),
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
        const r = ppoLoss({ logprobs, oldLogprobs: t.student_logprobs ?? [], advantages: batch.advantages[i], mask: t.mask }, settings.ppo, tokenCount);
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
      seconds: { rollout: (rolledOut - started) / 1000, score: (scored - rolledOut) / 1000, train: (finished - scored) / 1000, total: (finished - started) / 1000 },
    },
  };
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}
