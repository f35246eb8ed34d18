import type { StepWeighting } from './weights';

/** Means of d_k and w_k at one step index across a batch. */
export interface StepIndexMeans {
  /** 1-based step index k. */
  step: number;
  /** How many trajectories of the batch have a k-th step. */
  count: number;
  meanDivergence: number;
  meanWeight: number;
}

export interface BatchStepMetrics {
  trajectories: number;
  steps: number;
  /** Mean of d_k over every step of the batch (0 when there are none). */
  meanDivergence: number;
  /** Mean of w_k over every step of the batch (0 when there are none). */
  meanWeight: number;
  /** Mean w_{k(t)} over every generated token of the batch: the supervision a token gets on average. */
  meanTokenWeight: number;
  byStep: StepIndexMeans[];
}

/** Summarises the step weighting of a batch: overall means and means per step index. */
export function batchStepMetrics(batch: readonly StepWeighting[]): BatchStepMetrics {
  const byStep: { count: number; d: number; w: number }[] = [];
  let steps = 0;
  let dSum = 0;
  let wSum = 0;
  let tokenWeightSum = 0;
  let tokens = 0;
  for (const item of batch) {
    item.divergences.forEach((d, k) => {
      const w = item.weights[k];
      const slot = (byStep[k] ??= { count: 0, d: 0, w: 0 });
      slot.count++;
      slot.d += d;
      slot.w += w;
      steps++;
      dSum += d;
      wSum += w;
      tokenWeightSum += w * item.tokensPerStep[k];
      tokens += item.tokensPerStep[k];
    });
  }
  return {
    trajectories: batch.length,
    steps,
    meanDivergence: steps > 0 ? dSum / steps : 0,
    meanWeight: steps > 0 ? wSum / steps : 0,
    meanTokenWeight: tokens > 0 ? tokenWeightSum / tokens : 0,
    byStep: byStep.map((s, k) => ({
      step: k + 1,
      count: s.count,
      meanDivergence: s.d / s.count,
      meanWeight: s.w / s.count,
    })),
  };
}
