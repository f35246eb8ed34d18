import type { EvaluationSummary } from '../../agent/evaluate';
import type { UpdateMetrics } from '../../agent/update';
import type { BatchStepMetrics } from '../../sod/metrics';
import type { TrainingSettings } from '../../agent/training/settings';
import type { HeldOutPoint, TrainingRun } from '../../store/training/types';

/** Test data for the training views (not used by the app). */

export const settings: TrainingSettings = {
  method: 'sod',
  updates: 10,
  learningRate: 1e-4,
  loraRank: 8,
  promptsPerUpdate: 2,
  groupSize: 4,
  ppoEpochs: 1,
  ppoMiniBatchSize: 2,
  maxTokens: 256,
  maxTurns: 8,
  temperature: 1,
  epsilon: 1e-6,
  delta: 0.2,
  coef: 1,
  evalProblems: 20,
  evalEvery: 0,
  seed: 1,
};

export function steps(meanDivergence: number, meanWeight: number, byStepWeights: number[]): BatchStepMetrics {
  return {
    trajectories: 8,
    steps: byStepWeights.length * 8,
    meanDivergence,
    meanWeight,
    meanTokenWeight: meanWeight,
    byStep: byStepWeights.map((w, k) => ({
      step: k + 1,
      count: 8 - k,
      meanDivergence: meanDivergence / (k + 1),
      meanWeight: w,
    })),
  };
}

export function metrics(update: number, values: Partial<UpdateMetrics> = {}): UpdateMetrics {
  return {
    update,
    method: 'sod',
    trajectories: 8,
    loss: 0.1 * update,
    gradNorm: 1,
    optimizerSteps: 1,
    ppoSteps: [],
    meanReward: -0.5 + 0.1 * update,
    accuracy: 0.25,
    clipFraction: 0.05,
    approxKl: 0.001,
    generatedTokens: 1000,
    tokensPerSecond: 250,
    seconds: { rollout: 4, score: 1, train: 2, total: 7 },
    ...values,
  };
}

export function run(
  id: string,
  label: string,
  method: TrainingSettings['method'],
  rows: UpdateMetrics[],
  extra: Partial<TrainingRun> = {},
): TrainingRun {
  return {
    id,
    label,
    settings: { ...settings, method },
    status: 'done',
    metrics: rows,
    evaluation: {},
    curve: [],
    ...extra,
  };
}

/** A held-out curve point: `correct` of `n` right after `update` updates. */
export function point(update: number, correct: number, n: number): HeldOutPoint {
  return { update, correct, n, accuracy: n > 0 ? correct / n : 0 };
}

export function summary(correct: number, n: number, meanReward: number, meanToolCalls: number): EvaluationSummary {
  return {
    n,
    correct,
    accuracy: n > 0 ? correct / n : 0,
    mean_reward: meanReward,
    mean_tool_calls: meanToolCalls,
    stop_reasons: { answer: n },
  };
}

/**
 * A SOD run with 3 updates (steps present; the latest has 3 step indices) and a GRPO run with 2 (no steps);
 * the SOD run was evaluated before, after update 2 and after update 3, the GRPO run before and after.
 */
export function twoRuns(): [TrainingRun, TrainingRun] {
  const sod = run(
    'a',
    'SOD #1',
    'sod',
    [
      metrics(1, { steps: steps(0.9, 1.05, [1, 1.1]) }),
      metrics(2, { steps: steps(0.7, 1.08, [1, 1.2, 1.15]) }),
      metrics(3, {
        loss: 0.01234,
        meanReward: -0.2,
        accuracy: 0.375,
        clipFraction: 0.125,
        approxKl: 0.0000031,
        tokensPerSecond: 87.25,
        seconds: { rollout: 10.5, score: 2.25, train: 3, total: 15.75 },
        steps: steps(0.5, 1.1, [1, 1.2, 1.2]),
      }),
    ],
    { curve: [point(0, 1, 4), point(2, 2, 4), point(3, 3, 4)] },
  );
  const grpo = run(
    'b',
    'GRPO #2',
    'grpo',
    [metrics(1, { method: 'grpo' }), metrics(2, { method: 'grpo', loss: -0.5 })],
    { curve: [point(0, 1, 4), point(2, 1, 4)] },
  );
  return [sod, grpo];
}
