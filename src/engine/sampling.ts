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
  const order = byFallingLogit(logits);
  let n = s.topK > 0 && s.topK < V ? s.topK : V; // the tokens still in the draw: order[0..n)
  const max = logits[order[0]];
  const weights = new Float64Array(n);
  for (let i = 0; i < n; i++) weights[i] = Math.exp((logits[order[i]] - max) / s.temperature);
  let total = sum(weights, n);
  if (s.topP < 1) {
    let kept = 0;
    let mass = 0;
    while (kept < n && mass < s.topP * total) mass += weights[kept++];
    n = Math.max(kept, 1);
    total = sum(weights, n);
  }
  let r = uniform() * total;
  for (let i = 0; i < n; i++) {
    r -= weights[i];
    if (r <= 0) return order[i];
  }
  return order[n - 1];
}

/** x[0] + … + x[n−1], added in that order. */
function sum(x: Float64Array, n: number): number {
  let total = 0;
  for (let i = 0; i < n; i++) total += x[i];
  return total;
}

/**
 * The token ids in order of falling logit, ties by rising id. Float32 logits (the engine's) are
 * packed with their ids into integer keys that a native numeric sort orders: at Qwen3's 151,936
 * tokens several times faster than sorting ids with a comparator, which other logits still take.
 */
export function byFallingLogit(logits: ArrayLike<number>): number[] {
  const V = logits.length;
  const ids = 2 ** 21; // ids below this fit beside 32 bits of logit in a float64's 53
  let packable = logits instanceof Float32Array && V <= ids;
  for (let i = 0; packable && i < V; i++) packable = !Number.isNaN(logits[i]);
  if (!packable) return Array.from({ length: V }, (_, i) => i).sort((a, b) => logits[b] - logits[a] || a - b);
  const bits = new Uint32Array(Float32Array.from(logits).buffer);
  const keys = new Float64Array(V);
  for (let i = 0; i < V; i++) {
    // Float order as unsigned order (negatives reversed), then reversed for falling logits;
    // −0 and +0 get one key, as the comparator finds them equal.
    let u = bits[i] === 0x80000000 ? 0 : bits[i];
    u = u >= 0x80000000 ? ~u >>> 0 : (u | 0x80000000) >>> 0;
    keys[i] = (0xffffffff - u) * ids + i;
  }
  keys.sort();
  const order = new Array<number>(V);
  for (let i = 0; i < V; i++) order[i] = keys[i] % ids;
  return order;
}
