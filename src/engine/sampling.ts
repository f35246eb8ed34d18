import type { SamplingSettings } from '../core/policy';

/** log softmax(logits)[index], in float64. */
export function logSoftmaxAt(logits: ArrayLike<number>, index: number): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i] - max);
  return logits[index] - max - Math.log(sum);
}

/**
 * Draws the next token from logits with temperature, top-k and top-p (nucleus) filtering.
 * temperature 0 is greedy (the first maximum).
 */
export function sampleToken(
  logits: ArrayLike<number>,
  s: Pick<SamplingSettings, 'temperature' | 'topK' | 'topP'>,
  uniform: () => number,
): number {
  const V = logits.length;
  if (s.temperature <= 0) {
    let best = 0;
    for (let i = 1; i < V; i++) if (logits[i] > logits[best]) best = i;
    return best;
  }
  let order = Array.from({ length: V }, (_, i) => i).sort((a, b) => logits[b] - logits[a] || a - b);
  if (s.topK > 0 && s.topK < V) order = order.slice(0, s.topK);
  const max = logits[order[0]];
  const weights = order.map((i) => Math.exp((logits[i] - max) / s.temperature));
  let total = weights.reduce((a, b) => a + b, 0);
  if (s.topP < 1) {
    let kept = 0;
    let mass = 0;
    while (kept < weights.length && mass < s.topP * total) mass += weights[kept++];
    order = order.slice(0, Math.max(kept, 1));
    weights.length = order.length;
    total = weights.reduce((a, b) => a + b, 0);
  }
  let r = uniform() * total;
  for (let i = 0; i < order.length; i++) {
    r -= weights[i];
    if (r <= 0) return order[i];
  }
  return order[order.length - 1];
}
