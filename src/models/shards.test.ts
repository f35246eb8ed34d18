import { describe, expect, it } from 'vitest';
import { shardsOfIndex } from './shards';

describe('shardsOfIndex', () => {
  it('lists each shard once, in order', () => {
    const index = {
      weight_map: {
        a: 'model-00001-of-00002.safetensors',
        b: 'model-00002-of-00002.safetensors',
        c: 'model-00001-of-00002.safetensors',
      },
    };
    expect(shardsOfIndex(JSON.stringify(index))).toEqual([
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
    ]);
  });
  // Found by shards.fuzz.test.ts: bad JSON was a bare SyntaxError, and a number was fetched as the file "1".
  it('refuses bad JSON, and anything but a .safetensors file of the folder, naming the index', () => {
    expect(() => shardsOfIndex('', 'org/m/model.safetensors.index.json')).toThrow(
      /^org\/m\/model\.safetensors\.index\.json: not valid JSON \(/,
    );
    for (const [shard, quoted] of [
      [1, '1'],
      ['config.json', '"config.json"'],
      ['../x.safetensors', '"../x.safetensors"'],
    ])
      expect(() => shardsOfIndex(JSON.stringify({ weight_map: { a: shard } }), 'i.json')).toThrow(
        `i.json: shard ${quoted} is not a .safetensors file of the model folder`,
      );
  });
});
