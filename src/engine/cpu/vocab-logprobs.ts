import type { VocabLogprobsBackwardArgs, VocabLogprobsForwardArgs } from '../backend';
import type { CpuTensor, Floats } from './floats';
import type { CpuKernels } from './kernels/kernels';
import { matmul } from './matmul';

/** Rows (tokens) processed at once: the only (rows × V) buffer that exists. */
export const vocabChunkRows = 16;

/**
 * logprobs[t] = log softmax(hidden_t · Wᵀ)[targets[t]] with W (V, C), a chunk of rows at a
 * time (one matmul each) so no (T × V) logits exist; lse (T) is saved for the backward.
 */
export function vocabLogprobsForward(
  {
    logprobs,
    lse,
    hidden,
    weight,
    targets,
    T,
    C,
    V,
  }: Omit<VocabLogprobsForwardArgs<Floats>, 'weight'> & { weight: CpuTensor },
  kernels: CpuKernels,
): void {
  const logits = new Float64Array(Math.min(T, vocabChunkRows) * V);
  for (let t0 = 0; t0 < T; t0 += vocabChunkRows) {
    const rows = Math.min(vocabChunkRows, T - t0);
    matmul(
      { out: logits, a: hidden.subarray(t0 * C, (t0 + rows) * C), b: weight, M: rows, N: V, K: C, transB: true },
      kernels,
    );
    for (let r = 0; r < rows; r++) {
      const t = t0 + r;
      lse[t] = logSumExp(logits, r * V, V);
      logprobs[t] = logits[r * V + targets[t]] - lse[t];
    }
  }
}

/**
 * dhidden += Σ_v dlogprobs_t (1[v = target] − p_tv) W_v: each chunk's logits are
 * recomputed, turned into those coefficients in place, and multiplied by W.
 */
export function vocabLogprobsBackward(
  { dhidden, dlogprobs, hidden, weight, targets, lse, T, C, V }: VocabLogprobsBackwardArgs<Floats>,
  kernels: CpuKernels,
): void {
  const coef = new Float64Array(Math.min(T, vocabChunkRows) * V);
  for (let t0 = 0; t0 < T; t0 += vocabChunkRows) {
    const rows = Math.min(vocabChunkRows, T - t0);
    matmul(
      { out: coef, a: hidden.subarray(t0 * C, (t0 + rows) * C), b: weight, M: rows, N: V, K: C, transB: true },
      kernels,
    );
    for (let r = 0; r < rows; r++) {
      const t = t0 + r;
      const g = dlogprobs[t];
      const base = r * V;
      for (let v = 0; v < V; v++) coef[base + v] = g === 0 ? 0 : -g * Math.exp(coef[base + v] - lse[t]);
      coef[base + targets[t]] += g;
    }
    const out = dhidden.subarray(t0 * C, (t0 + rows) * C);
    matmul({ out, a: coef.subarray(0, rows * V), b: weight, M: rows, N: C, K: V, accumulate: true }, kernels);
  }
}

/** log Σ exp over values [offset, offset + n), stable. */
function logSumExp(x: Float64Array, offset: number, n: number): number {
  let max = -Infinity;
  for (let i = offset; i < offset + n; i++) if (x[i] > max) max = x[i];
  let sum = 0;
  for (let i = offset; i < offset + n; i++) sum += Math.exp(x[i] - max);
  return max + Math.log(sum);
}
