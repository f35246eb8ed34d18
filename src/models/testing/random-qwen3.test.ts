import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ChatFormat } from '../../agent/chat';
import { loadTokenizer } from '../../agent/load-tokenizer';
import { CpuBackend } from '../../engine/cpu/backend';
import { loadQwen3 } from '../../engine/load';
import { folderFiles } from '../../engine/node-files';
import { writeRandomQwen3Folder } from './random-qwen3';

const dir = mkdtempSync(join(tmpdir(), 'sodp-random-qwen3-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('random Qwen3 folders of the real dimensions', () => {
  it('writes Qwen3-0.6B dimensions in 2 layers as bf16 shards the engine loads, with the real tokenizer', async () => {
    const folder = writeRandomQwen3Folder(join(dir, 'qwen3-0.6b-2l'), { size: '0.6B', layers: 2 });
    const index = JSON.parse(readFileSync(join(folder, 'model.safetensors.index.json'), 'utf8'));
    expect(new Set(Object.values(index.weight_map))).toEqual(
      new Set(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']),
    );
    // bf16: two bytes a value; the embedding (151936 × 1024) fills the first shard.
    expect(statSync(join(folder, 'model-00001-of-00002.safetensors')).size).toBeGreaterThan(151936 * 1024 * 2);
    const config = JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8'));
    expect(config).toMatchObject({
      hidden_size: 1024,
      num_hidden_layers: 2,
      vocab_size: 151936,
      torch_dtype: 'bfloat16',
    });
    const model = await loadQwen3(new CpuBackend(), folderFiles(folder));
    expect(model.config.tieWordEmbeddings).toBe(true);
    const chat = new ChatFormat(await loadTokenizer(folder));
    const ids = chat.tokenizer.encode('What is 12 × 34?', { add_special_tokens: false });
    const logprobs = await model.logprobs(ids);
    expect(logprobs).toHaveLength(ids.length - 1);
    for (const lp of logprobs) expect(lp).toBeLessThan(0);
  }, 120_000);

  it('loads a tied checkpoint that stores lm_head.weight anyway, as some exports do', async () => {
    const small = { hiddenSize: 16, intermediateSize: 32, numHeads: 2, numKvHeads: 1, headDim: 8 };
    const folder = writeRandomQwen3Folder(join(dir, 'stored-head'), {
      size: '0.6B',
      layers: 1,
      dims: small,
      storeTiedHead: true,
    });
    const index = JSON.parse(readFileSync(join(folder, 'model.safetensors.index.json'), 'utf8'));
    expect(Object.keys(index.weight_map)).toContain('lm_head.weight');
    const model = await loadQwen3(new CpuBackend(), folderFiles(folder));
    expect(model.config.tieWordEmbeddings).toBe(true);
    expect(model.weights.lmHead).toBe(model.weights.embed);
  });
});
