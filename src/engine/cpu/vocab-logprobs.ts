import type { VocabLogprobsBackwardArgs, VocabLogprobsForwardArgs } from '../backend';
import { isQuantized, type CpuTensor, type Floats } from './floats';
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
 * The backward's block of logits: rows (tokens) × vocabulary rows. The LM head is read a
 * block of rows at a time, each packed once for all the block's tokens, where whole-vocabulary
 * chunks of 16 tokens would pack all of it for every 16.
 */
export const vocabBackwardBlock = { rows: 256, vocab: 2048 } as const;

/**
 * dhidden += Σ_v dlogprobs_t (1[v = target] − p_tv) W_v: each block's logits are
 * recomputed, turned into those coefficients in place (p from the forward's lse), and
 * multiplied by the block's rows of W.
 */
export function vocabLogprobsBackward(
  {
    dhidden,
    dlogprobs,
    hidden,
    weight,
    targets,
    lse,
    T,
    C,
    V,
  }: Omit<VocabLogprobsBackwardArgs<Floats>, 'weight'> & { weight: CpuTensor },
  kernels: CpuKernels,
): void {
  if (isQuantized(weight))
    throw new Error(
      'vocab log-probs backward: a quantized matrix is read only as a Linear weight (y = x·Wᵀ), not trained through',
    );
  const { rows: blockRows, vocab: blockVocab } = vocabBackwardBlock;
  const coef = new Float64Array(Math.min(T, blockRows) * Math.min(V, blockVocab));
  for (let t0 = 0; t0 < T; t0 += blockRows) {
    const rows = Math.min(blockRows, T - t0);
    const a = hidden.subarray(t0 * C, (t0 + rows) * C);
    const out = dhidden.subarray(t0 * C, (t0 + rows) * C);
    for (let v0 = 0; v0 < V; v0 += blockVocab) {
      const n = Math.min(blockVocab, V - v0);
      const w = weight.subarray(v0 * C, (v0 + n) * C); // (n, C)
      matmul({ out: coef, a, b: w, M: rows, N: n, K: C, transB: true }, kernels);
      for (let r = 0; r < rows; r++) {
        const t = t0 + r;
        const g = dlogprobs[t];
        const base = r * n;
        for (let v = 0; v < n; v++) coef[base + v] = g === 0 ? 0 : -g * Math.exp(coef[base + v] - lse[t]);
        const target = targets[t] - v0;
        if (target >= 0 && target < n) coef[base + target] += g;
      }
      matmul({ out, a: coef.subarray(0, rows * n), b: w, M: rows, N: C, K: n, accumulate: true }, kernels);
    }
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
