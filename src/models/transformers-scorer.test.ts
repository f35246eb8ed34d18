import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { env } from '@huggingface/transformers';
import { tinyDims, writeTinyOnnxFolder } from '../../tests/support/tiny-onnx-model';
import { TransformersScorer } from './transformers-scorer';

/** log p(token_t | prefix) for every token after the first, from one full onnxruntime pass. */
async function fullPassLogprobs(bytes: Uint8Array, ids: number[]): Promise<number[]> {
  const session = await ort.InferenceSession.create(bytes);
  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, ids.length]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(ids.length).fill(1n), [1, ids.length]),
    position_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map((_, i) => BigInt(i))), [1, ids.length]),
  };
  for (let i = 0; i < tinyDims.num_hidden_layers; i++) {
    for (const kind of ['key', 'value'])
      feeds[`past_key_values.${i}.${kind}`] = new ort.Tensor('float32', new Float32Array(0), [
        1,
        tinyDims.num_key_value_heads,
        0,
        tinyDims.head_dim,
      ]);
  }
  const logits = (await session.run(feeds)).logits.data;
  if (!(logits instanceof Float32Array)) throw new Error('expected float32 logits');
  const V = tinyDims.vocab_size;
  return ids.slice(1).map((target, t) => {
    const row = Array.from(logits.subarray(t * V, (t + 1) * V));
    const max = Math.max(...row);
    return row[target] - max - Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0));
  });
}

describe('TransformersScorer (transformers.js on onnxruntime)', () => {
  it('gives the teacher-forced log-probs of the response whatever the chunk size', async () => {
    const { root, bytes } = await writeTinyOnnxFolder('tiny-teacher');
    env.allowRemoteModels = false;
    env.localModelPath = root;
    const prompt = [1, 7, 7, 30, 2];
    const response = [5, 9, 12, 0, 39, 3, 3, 8];
    const expected = (await fullPassLogprobs(bytes, [...prompt, ...response])).slice(prompt.length - 1);
    for (const chunkTokens of [1, 3, 64]) {
      const scorer = await TransformersScorer.load('tiny-teacher', { devices: ['cpu'], chunkTokens });
      const got = await scorer.scoreTokens(prompt, response);
      expect(got).toHaveLength(response.length);
      got.forEach((lp, i) => expect(Math.abs(lp - expected[i])).toBeLessThan(1e-5));
      await scorer.dispose();
    }
  });

  it('reads an absolute folder wherever localModelPath points, and with localFilesOnly never fetches a missing Hub id', async () => {
    const { dir } = await writeTinyOnnxFolder('tiny-local');
    env.localModelPath = '/nowhere/';
    const scorer = await TransformersScorer.load(dir, { devices: ['cpu'], localFilesOnly: true });
    expect((await scorer.scoreTokens([1, 2], [3])).length).toBe(1);
    await scorer.dispose();
    const { allowRemoteModels, fetch } = env;
    const fetched: string[] = [];
    env.allowRemoteModels = true;
    env.fetch = async (input) => {
      fetched.push(String(input));
      throw new Error('no network in tests');
    };
    try {
      await expect(
        TransformersScorer.load('test-org/missing', { devices: ['cpu'], localFilesOnly: true }),
      ).rejects.toThrow(/could not load/);
      expect(fetched).toEqual([]);
    } finally {
      env.allowRemoteModels = allowRemoteModels;
      env.fetch = fetch;
    }
  });

  it('says which devices failed when none loads', async () => {
    env.allowRemoteModels = false;
    await expect(TransformersScorer.load('no-such-model', { devices: ['cpu'] })).rejects.toThrow(
      /could not load no-such-model .*cpu:/,
    );
  });
});
