import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  editText,
  fuzz,
  fuzzTimeout,
  jsonMutations,
  mutatedJsonText,
  outcomeOf,
  textEdits,
} from '../../tests/support/fuzz';
import { shardsOfIndex } from './shards';

const index = {
  metadata: { total_size: 12 },
  weight_map: {
    'model.embed_tokens.weight': 'model-00001-of-00002.safetensors',
    'model.norm.weight': 'model-00002-of-00002.safetensors',
    'lm_head.weight': 'model-00002-of-00002.safetensors',
  },
};

describe('the shard list of model.safetensors.index.json (what the downloader fetches), fuzzed', () => {
  it(
    'names only .safetensors files inside the model folder, each once, or refuses the index by name',
    async () => {
      const inputs = fc.oneof(
        { arbitrary: jsonMutations.map((m) => mutatedJsonText(index, m)), weight: 3 },
        { arbitrary: textEdits.map((edits) => editText(JSON.stringify(index), edits)), weight: 1 },
      );
      await fuzz('shardsOfIndex', inputs, async (text) => {
        const result = await outcomeOf(
          () => shardsOfIndex(text, 'org/m/model.safetensors.index.json'),
          'org/m/model.safetensors.index.json',
        );
        if (!result.ok) return false;
        expect(new Set(result.value).size).toBe(result.value.length);
        for (const shard of result.value) {
          expect(typeof shard).toBe('string');
          expect(shard.endsWith('.safetensors') && !shard.startsWith('/') && !shard.includes('..')).toBe(true);
        }
        return true;
      });
    },
    fuzzTimeout(),
  );
});
