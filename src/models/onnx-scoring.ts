/**
 * Teacher-forced scoring of an ONNX Qwen3 through transformers.js, shared by the CLI's
 * TransformersScorer (Node) and the page's OnnxTeacher: the sequence goes through the model in
 * chunks with the KV cache, so at most `chunkTokens × vocab` logits exist at once, never
 * `T × vocab`.
 */
import { type AutoModelForCausalLM, Tensor } from '@huggingface/transformers';
import { halfToFloat } from '../engine/half-floats';

export type CausalLm = Awaited<ReturnType<typeof AutoModelForCausalLM.from_pretrained>>;

const int64 = (values: readonly number[], dims: number[]) =>
  new Tensor(
    'int64',
    BigInt64Array.from(values, (v) => BigInt(v)),
    dims,
  );

/**
 * Feeds prompt + response through `model` in chunks of `chunkTokens` inputs and hands over, for
 * each response position t, the logits row (vocab) that predicts responseIds[t]. The row is
 * valid only during the call.
 */
export async function forEachPrediction(
  model: CausalLm,
  chunkTokens: number,
  promptIds: readonly number[],
  responseIds: readonly number[],
  visit: (t: number, row: Float32Array) => void,
  signal?: AbortSignal,
): Promise<void> {
  if (promptIds.length === 0) throw new Error('the prompt must hold at least one token');
  const sequence = [...promptIds, ...responseIds];
  // Inputs 0..n−2 predict tokens 1..n−1; the rows that predict response tokens are the ones wanted.
  const inputs = sequence.length - 1;
  let past: Record<string, Tensor> = {};
  try {
    for (let start = 0; start < inputs; start += chunkTokens) {
      signal?.throwIfAborted();
      const end = Math.min(start + chunkTokens, inputs);
      const ids = sequence.slice(start, end);
      const result = await model({
        input_ids: int64(ids, [1, ids.length]),
        attention_mask: int64(new Array<number>(end).fill(1), [1, end]),
        position_ids: int64(
          ids.map((_, i) => start + i),
          [1, ids.length],
        ),
        past_key_values: start === 0 ? null : past,
      });
      const logits = float32Logits(result.logits);
      const vocab = logits.length / ids.length;
      for (let row = 0; row < ids.length; row++) {
        const t = start + row + 1 - promptIds.length; // the response position this row predicts
        if (t >= 0) visit(t, logits.subarray(row * vocab, (row + 1) * vocab));
      }
      const next = presentToPast(result);
      disposeAll(past); // on WebGPU the cache lives in GPU buffers, freed only when disposed
      past = next;
    }
  } finally {
    disposeAll(past);
  }
}

/** The model's `present.{i}.key/value` outputs become the next call's `past_key_values.{i}.key/value`. */
function presentToPast(outputs: Record<string, unknown>): Record<string, Tensor> {
  const past: Record<string, Tensor> = {};
  for (const [name, value] of Object.entries(outputs)) {
    if (name.startsWith('present.') && value instanceof Tensor)
      past[name.replace('present.', 'past_key_values.')] = value;
  }
  return past;
}

function disposeAll(tensors: Record<string, Tensor>): void {
  for (const t of Object.values(tensors)) t.dispose();
}

/** The logits as float32 (an fp16 export returns float16 logits; log-probs are taken in float32 or more). */
function float32Logits(logits: unknown): Float32Array {
  if (!(logits instanceof Tensor)) throw new Error('the model returned no logits');
  const data: unknown = logits.data;
  if (data instanceof Float32Array) return data;
  if (logits.type === 'float16' && data instanceof Uint16Array) return Float32Array.from(data, halfToFloat);
  // Where the runtime has Float16Array, float16 data comes as one; Float32Array.from widens it.
  if (logits.type === 'float16' && isNumberArray(data)) return Float32Array.from(data);
  throw new Error(`the model returned ${logits.type} logits; float32 or float16 expected`);
}

function isNumberArray(data: unknown): data is ArrayLike<number> {
  return ArrayBuffer.isView(data) && !(data instanceof DataView) && !(data instanceof BigInt64Array);
}
