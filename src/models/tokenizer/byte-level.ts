/**
 * The byte-level alphabet of GPT-2-style BPE (used by Qwen3): every byte maps to one
 * printable character, so any UTF-8 text becomes a string over 256 symbols.
 */
function buildByteAlphabet(): string[] {
  const printable: number[] = [];
  for (let b = 33; b <= 126; b++) printable.push(b);
  for (let b = 161; b <= 172; b++) printable.push(b);
  for (let b = 174; b <= 255; b++) printable.push(b);
  const chars = new Array<string>(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    chars[b] = printable.includes(b) ? String.fromCharCode(b) : String.fromCharCode(256 + extra++);
  }
  return chars;
}

/** byteAlphabet[b] is the character standing for byte b. */
export const byteAlphabet: readonly string[] = buildByteAlphabet();

const encoder = new TextEncoder();

/** A piece of text as byte-level symbols. */
export function toByteLevel(text: string): string {
  let out = '';
  for (const b of encoder.encode(text)) out += byteAlphabet[b];
  return out;
}

/**
 * Qwen3's pre-tokenizer split (from its tokenizer.json), written without the inline
 * `(?i:…)` group that JavaScript regular expressions lack before Node 23.
 */
export const qwen3SplitPattern =
  "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

const splitter = new RegExp(qwen3SplitPattern, 'gu');

/** Splits text into the pieces BPE merges never cross. */
export function pretokenize(text: string): string[] {
  return text.match(splitter) ?? [];
}
