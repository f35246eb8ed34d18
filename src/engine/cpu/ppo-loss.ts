import { ppoStatsWidth, type PpoLossArgs } from '../backend-types';
import { ppoLoss as sodPpoLoss } from '../../sod/loss';
import type { Floats } from './floats';

/** The CPU's PPO loss is src/sod's own (the WebGPU kernel is tested against it). */
export function ppoLoss(a: PpoLossArgs<Floats>): void {
  const { dlogprobs, stats, logprobs, inputs, T, offset, n, slot } = a;
  const current = logprobs.subarray(offset, offset + n);
  const row = ppoStatsWidth * slot;
  dlogprobs.fill(0, 0, T);
  let nonFinite = 0;
  for (let t = 0; t < n; t++) if (!Number.isFinite(current[t])) nonFinite++;
  if (nonFinite > 0) {
    // As on the GPU: a gradient that makes the step's norm NaN, so the step is skipped.
    dlogprobs.fill(Number.NaN, offset, offset + n);
    stats.set([Number.NaN, 0, 0, Number.NaN, nonFinite], row);
    return;
  }
  const r = sodPpoLoss(
    {
      logprobs: current,
      oldLogprobs: inputs.subarray(0, n),
      advantages: inputs.subarray(n, 2 * n),
      mask: inputs.subarray(2 * n, 3 * n),
    },
    a,
    a.tokenCount,
  );
  dlogprobs.set(r.grad, offset);
  stats.set([r.loss, r.clipFraction * r.tokens, r.dualClipFraction * r.tokens, r.approxKl * r.tokens, 0], row);
}
