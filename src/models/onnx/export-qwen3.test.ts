import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { qwen3ToOnnx } from './export-qwen3';
import { lookup, randomWeights, tinyDims as dims, writeTinyOnnxFolder } from '../../../tests/support/tiny-onnx-model';

async function run(session: ort.InferenceSession, ids: number[], past: ort.Tensor[] | undefined, pastLength: number) {
  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, ids.length]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(pastLength + ids.length).fill(1n), [
      1,
      pastLength + ids.length,
    ]),
    position_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map((_, i) => BigInt(pastLength + i))), [
      1,
      ids.length,
    ]),
  };
  for (let i = 0; i < dims.num_hidden_layers; i++) {
    const empty = () => new ort.Tensor('float32', new Float32Array(0), [1, dims.num_key_value_heads, 0, dims.head_dim]);
    feeds[`past_key_values.${i}.key`] = past?.[2 * i] ?? empty();
    feeds[`past_key_values.${i}.value`] = past?.[2 * i + 1] ?? empty();
  }
  const out = await session.run(feeds);
  const present = Array.from(
    { length: 2 * dims.num_hidden_layers },
    (_, j) => out[`present.${j >> 1}.${j % 2 === 0 ? 'key' : 'value'}`],
  );
  return { logits: out.logits, present };
}

describe('Qwen3 as ONNX', () => {
  it('runs in onnxruntime and decoding with the KV cache equals recomputing the whole sequence', async () => {
    const bytes = await qwen3ToOnnx(dims, lookup(randomWeights(dims)));
    const session = await ort.InferenceSession.create(bytes);
    expect(session.inputNames).toContain('past_key_values.1.value');
    expect(session.outputNames).toContain('present.0.key');
    const ids = [3, 17, 5, 39, 0, 22, 8];
    const full = await run(session, ids, undefined, 0);
    expect(full.logits.dims).toEqual([1, ids.length, dims.vocab_size]);
    const prefix = await run(session, ids.slice(0, 5), undefined, 0);
    expect(prefix.present[0].dims).toEqual([1, dims.num_key_value_heads, 5, dims.head_dim]);
    const rest = await run(session, ids.slice(5), prefix.present, 5);
    const fullData = full.logits.data;
    const restData = rest.logits.data;
    if (!(fullData instanceof Float32Array) || !(restData instanceof Float32Array))
      throw new Error('expected float32 logits');
    const tail = fullData.subarray(5 * dims.vocab_size);
    let maxDiff = 0;
    for (let i = 0; i < tail.length; i++) maxDiff = Math.max(maxDiff, Math.abs(tail[i] - restData[i]));
    expect(maxDiff).toBeLessThan(1e-5);
  });
});

describe('the exported folder under @huggingface/transformers', () => {
  it('loads with AutoModelForCausalLM and gives the logits and greedy continuation of onnxruntime', async () => {
    const { AutoModelForCausalLM, env } = await import('@huggingface/transformers');
    const { root, bytes } = await writeTinyOnnxFolder('tiny-qwen3');
    env.allowRemoteModels = false;
    env.localModelPath = root;
    const model = await AutoModelForCausalLM.from_pretrained('tiny-qwen3', { dtype: 'fp32', device: 'cpu' });

    const ids = [3, 17, 5, 22];
    const session = await ort.InferenceSession.create(bytes);
    const direct = await run(session, ids, undefined, 0);
    const { Tensor } = await import('@huggingface/transformers');
    const inputIds = new Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, ids.length]);
    const attentionMask = new Tensor('int64', new BigInt64Array(ids.length).fill(1n), [1, ids.length]);
    const out = await model({ input_ids: inputIds, attention_mask: attentionMask });
    const viaTransformers = out.logits.data;
    const viaOrt = direct.logits.data;
    if (!(viaTransformers instanceof Float32Array) || !(viaOrt instanceof Float32Array))
      throw new Error('expected float32 logits');
    let maxDiff = 0;
    for (let i = 0; i < viaOrt.length; i++) maxDiff = Math.max(maxDiff, Math.abs(viaOrt[i] - viaTransformers[i]));
    expect(maxDiff).toBeLessThan(1e-5);

    // Greedy decoding by hand through onnxruntime with the cache, then through generate().
    const expected: number[] = [];
    let state = direct;
    let length = ids.length;
    for (let step = 0; step < 6; step++) {
      const logits = state.logits.data;
      if (!(logits instanceof Float32Array)) throw new Error('expected float32 logits');
      const last = logits.subarray(logits.length - dims.vocab_size);
      const next = last.indexOf(Math.max(...last));
      expected.push(next);
      state = await run(session, [next], state.present, length);
      length++;
    }
    const generated = await model.generate({
      input_ids: inputIds,
      attention_mask: attentionMask,
      max_new_tokens: 6,
      do_sample: false,
      eos_token_id: -1,
    });
    const generatedIds = Array.from(generated instanceof Tensor ? generated.data : [], (x) => Number(x)).slice(
      ids.length,
    );
    expect(generatedIds).toEqual(expected);
  });
});
