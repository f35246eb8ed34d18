import { byteAlphabet, pretokenize, toByteLevel } from './byte-level';

export interface TrainedBpe {
  /** Symbol → id: the 256 byte symbols first, then one per merge, in merge order. */
  vocab: Map<string, number>;
  /** Merges in the order they were learned (earlier = higher priority). */
  merges: [string, string][];
}

const separator = '\u0000';

/**
 * Learns byte-level BPE merges from `texts` until the vocabulary holds `vocabSize` symbols
 * (or no pair occurs `minFrequency` times). `reserved` strings (special tokens) are cut out
 * of the text first, so no merge ever spans them. Deterministic: ties go to the pair that
 * sorts first.
 */
export function trainByteLevelBpe(
  texts: Iterable<string>,
  options: { vocabSize: number; minFrequency?: number; reserved?: readonly string[] },
): TrainedBpe {
  const minFrequency = options.minFrequency ?? 2;
  if (options.vocabSize < 256)
    throw new Error(`vocabSize must be at least 256 (the byte alphabet), got ${options.vocabSize}`);

  // Count pre-tokenized words.
  const reserved = [...(options.reserved ?? [])].sort((a, b) => b.length - a.length);
  const counts = new Map<string, number>();
  for (const text of texts) {
    for (const segment of splitReserved(text, reserved)) {
      for (const piece of pretokenize(segment)) {
        const word = toByteLevel(piece);
        counts.set(word, (counts.get(word) ?? 0) + 1);
      }
    }
  }
  const words = [...counts.keys()].map((w) => Array.from(w));
  const frequency = [...counts.values()];

  // Pair statistics, with the words each pair occurs in.
  const pairCount = new Map<string, number>();
  const pairWords = new Map<string, Set<number>>();
  const addPairs = (w: number, sign: 1 | -1) => {
    const symbols = words[w];
    for (let i = 0; i + 1 < symbols.length; i++) {
      const key = symbols[i] + separator + symbols[i + 1];
      pairCount.set(key, (pairCount.get(key) ?? 0) + sign * frequency[w]);
      if (sign > 0) {
        let set = pairWords.get(key);
        if (set === undefined) pairWords.set(key, (set = new Set()));
        set.add(w);
      }
    }
  };
  words.forEach((_, w) => addPairs(w, 1));

  const vocab = new Map<string, number>(byteAlphabet.map((ch, i) => [ch, i]));
  const merges: [string, string][] = [];
  while (vocab.size < options.vocabSize) {
    let best: string | undefined;
    let bestCount = 0;
    for (const [key, count] of pairCount) {
      if (count > bestCount || (count === bestCount && best !== undefined && key < best)) {
        best = key;
        bestCount = count;
      }
    }
    if (best === undefined || bestCount < minFrequency) break;
    const [left, right] = best.split(separator);
    const merged = left + right;
    merges.push([left, right]);
    if (!vocab.has(merged)) vocab.set(merged, vocab.size);
    for (const w of pairWords.get(best) ?? []) {
      addPairs(w, -1);
      const symbols = words[w];
      const out: string[] = [];
      for (let i = 0; i < symbols.length; i++) {
        if (i + 1 < symbols.length && symbols[i] === left && symbols[i + 1] === right) {
          out.push(merged);
          i++;
        } else out.push(symbols[i]);
      }
      words[w] = out;
      addPairs(w, 1);
    }
    pairCount.delete(best);
    pairWords.delete(best);
    for (const [key, count] of pairCount) if (count <= 0) pairCount.delete(key);
  }
  return { vocab, merges };
}

/** Splits text around reserved strings, dropping them. */
function splitReserved(text: string, reserved: readonly string[]): string[] {
  if (reserved.length === 0) return [text];
  const pattern = new RegExp(reserved.map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
  return text.split(pattern);
}
