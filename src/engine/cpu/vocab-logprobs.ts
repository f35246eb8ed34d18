import type { VocabLogprobsBackwardArgs, VocabLogprobsForwardArgs } from '../backend';
import { isQuantized, type CpuTensor, type Floats } from './floats';
import type { CpuKernels } from './kernels/kernels';
import { matmul } from './matmul';
import { quantizedRows } from '../quantize';

/**
 * A block of logits: tokens × vocabulary rows. The LM head is read a block of rows at a
 * time, each packed once for all the block's tokens (chunks of a few tokens over the whole
 * vocabulary would pack all 151,936 rows of Qwen3's head for every chunk).
 */
export const vocabBlock = { rows: 256, vocab: 2048 } as const;

/** Rows v0..v0+n of the LM head (V, C). */
function headRows(weight: CpuTensor, v0: number, n: number, C: number): CpuTensor {
  return isQuantized(weight) ? quantizedRows(weight, v0, n) : weight.subarray(v0 * C, (v0 + n) * C);
}

/**
 * logprobs[t] = log softmax(hidden_t · Wᵀ)[targets[t]] with W (V, C), block by block so no
 * (T × V) logits exist: each token's log-sum-exp is merged over the vocabulary blocks
 * (running max and Σexp), and saved in lse (T) for the backward.
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
  const { rows: blockRows, vocab: blockVocab } = vocabBlock;
  const logits = new Float64Array(Math.min(T, blockRows) * Math.min(V, blockVocab));
  const runningMax = new Float64Array(Math.min(T, blockRows));
  const runningSum = new Float64Array(Math.min(T, blockRows));
  const targetLogit = new Float64Array(Math.min(T, blockRows));
  for (let t0 = 0; t0 < T; t0 += blockRows) {
    const rows = Math.min(blockRows, T - t0);
    const a = hidden.subarray(t0 * C, (t0 + rows) * C);
    runningMax.fill(-Infinity);
    runningSum.fill(0);
    for (let v0 = 0; v0 < V; v0 += blockVocab) {
      const n = Math.min(blockVocab, V - v0);
      matmul({ out: logits, a, b: headRows(weight, v0, n, C), M: rows, N: n, K: C, transB: true }, kernels);
      for (let r = 0; r < rows; r++) {
        const t = t0 + r;
        const base = r * n;
        let max = -Infinity;
        for (let v = base; v < base + n; v++) if (logits[v] > max) max = logits[v];
        let sum = 0;
        for (let v = base; v < base + n; v++) sum += Math.exp(logits[v] - max);
        const merged = Math.max(runningMax[r], max);
        runningSum[r] = runningSum[r] * Math.exp(runningMax[r] - merged) + sum * Math.exp(max - merged);
        runningMax[r] = merged;
        const target = targets[t] - v0;
        if (target >= 0 && target < n) targetLogit[r] = logits[base + target];
      }
    }
    for (let r = 0; r < rows; r++) {
      const t = t0 + r;
      const l = runningMax[r] + Math.log(runningSum[r]);
      lse[t] = l;
      logprobs[t] = targetLogit[r] - l;
    }
  }
}

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
  const { rows: blockRows, vocab: blockVocab } = vocabBlock;
  const coef = new Float64Array(Math.min(T, blockRows) * Math.min(V, blockVocab));
  for (let t0 = 0; t0 < T; t0 += blockRows) {
    const rows = Math.min(blockRows, T - t0);
    const a = hidden.subarray(t0 * C, (t0 + rows) * C);
    const out = dhidden.subarray(t0 * C, (t0 + rows) * C);
    for (let v0 = 0; v0 < V; v0 += blockVocab) {
      const n = Math.min(blockVocab, V - v0);
      const w = headRows(weight, v0, n, C); // (n, C)
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
