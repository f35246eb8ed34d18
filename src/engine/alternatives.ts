import type { Decoder } from './inference';

/** The k largest entries of log softmax(logits) as [index, log-probability], most likely first. */
export function topLogprobs(logits: ArrayLike<number>, k: number): [number, number][] {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i] - max);
  const logZ = max + Math.log(sum);
  // Insertion into a short sorted list: k is small (≈5) and the vocabulary is scanned once.
  const best: [number, number][] = [];
  for (let i = 0; i < logits.length; i++) {
    if (best.length === k && logits[i] <= best[k - 1][1]) continue;
    let at = best.length;
    while (at > 0 && best[at - 1][1] < logits[i]) at--;
    best.splice(at, 0, [i, logits[i]]);
    if (best.length > k) best.pop();
  }
  return best.map(([i, logit]) => [i, logit - logZ]);
}

/**
 * The model's top-k next tokens at every response position (what it would have preferred
 * to each token it was shown), teacher-forced token by token through the KV cache.
 */
export async function topAlternatives<T>(
  decoder: Decoder<T>,
  promptIds: readonly number[],
  responseIds: readonly number[], // [T]
  k: number,
  signal?: AbortSignal,
): Promise<[number, number][][]> {
  if (promptIds.length === 0) throw new Error('topAlternatives: the prompt must hold at least one token');
  const cache = decoder.newCache(promptIds.length + responseIds.length);
  try {
    const out: [number, number][][] = [];
    let logits = await decoder.feed(cache, promptIds);
    for (let t = 0; t < responseIds.length; t++) {
      signal?.throwIfAborted();
      out.push(topLogprobs(logits, k));
      if (t + 1 < responseIds.length) logits = await decoder.feed(cache, [responseIds[t]]);
    }
    return out;
  } finally {
    cache.release();
  }
}
