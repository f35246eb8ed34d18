import type { Floats } from './floats';

/** Rows of the vocabulary processed at once: the only (rows × V) buffer that exists. */
export const vocabChunkRows = 16;

/**
 * logprobs[t] = log softmax(hidden_t · Wᵀ)[targets[t]] with W (V, C), a chunk of rows at a
 * time so no (T × V) logits exist; lse (T) is saved for the backward.
 */
export function vocabLogprobsForward(logprobs: Floats, lse: Floats, hidden: Floats, weight: Floats, targets: ArrayLike<number>, T: number, C: number, V: number): void {
  const logits = new Float64Array(V);
  for (let t = 0; t < T; t++) {
    rowLogits(logits, hidden, weight, t, C, V);
    let max = -Infinity;
    for (let v = 0; v < V; v++) if (logits[v] > max) max = logits[v];
    let sum = 0;
    for (let v = 0; v < V; v++) sum += Math.exp(logits[v] - max);
    lse[t] = max + Math.log(sum);
    logprobs[t] = logits[targets[t]] - lse[t];
  }
}

/** dhidden (+)= Σ_v dlogprobs_t (1[v = target] − p_tv) W_v, recomputing each row's logits. */
export function vocabLogprobsBackward(dhidden: Floats, dlogprobs: Floats, hidden: Floats, weight: Floats, targets: ArrayLike<number>, lse: Floats, T: number, C: number, V: number, accumulate: boolean): void {
  const logits = new Float64Array(V);
  const row = new Float64Array(C);
  for (let t = 0; t < T; t++) {
    row.fill(0);
    const g = dlogprobs[t];
    if (g !== 0) {
      rowLogits(logits, hidden, weight, t, C, V);
      for (let v = 0; v < V; v++) {
        const d = g * ((v === targets[t] ? 1 : 0) - Math.exp(logits[v] - lse[t]));
        if (d === 0) continue;
        const w = v * C;
        for (let c = 0; c < C; c++) row[c] += d * weight[w + c];
      }
    }
    for (let c = 0; c < C; c++) dhidden[t * C + c] = accumulate ? dhidden[t * C + c] + row[c] : row[c];
  }
}

/** logits (V) of row t: hidden_t · Wᵀ. */
export function rowLogits(logits: Float64Array | Float32Array, hidden: Floats, weight: Floats, t: number, C: number, V: number): void {
  const h = t * C;
  for (let v = 0; v < V; v++) {
    const w = v * C;
    let s = 0;
    for (let c = 0; c < C; c++) s += hidden[h + c] * weight[w + c];
    logits[v] = s;
  }
}
