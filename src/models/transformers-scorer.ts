import { AutoModelForCausalLM, Tensor } from '@huggingface/transformers';
import type { LogprobScorer } from '../core/policy';
import type { OnnxDtype } from './onnx/dtypes';

/** Where transformers.js runs the ONNX model: `webgpu` or `wasm` in a browser, `cpu` in Node. */
export type TransformersDevice = 'webgpu' | 'wasm' | 'cpu';

export interface TransformersScorerOptions {
  /** Devices to try in order; the first that loads is used. Default: webgpu, then wasm. */
  devices?: readonly TransformersDevice[];
  /** Input tokens per forward pass: at most this many rows of vocabulary logits exist at once. */
  chunkTokens?: number;
  /** Read the model from disk only, never from the Hub (a folder the CLI already resolved; pass an absolute path). */
  localFilesOnly?: boolean;
  /** Which ONNX file of the folder: fp32 `onnx/model.onnx` (default), fp16 `model_fp16.onnx`, q4 `model_q4.onnx`. */
  dtype?: OnnxDtype;
}

type CausalLm = Awaited<ReturnType<typeof AutoModelForCausalLM.from_pretrained>>;

function int64(values: readonly number[] | BigInt64Array, dims: number[]): Tensor {
  return new Tensor(
    'int64',
    values instanceof BigInt64Array ? values : BigInt64Array.from(values, (v) => BigInt(v)),
    dims,
  );
}

/**
 * Teacher-forced log-probs through @huggingface/transformers on onnxruntime (a model folder
 * with `onnx/model.onnx`). The sequence is fed in chunks with the KV cache, so only
 * `chunkTokens × vocab` logits are ever held, never `T × vocab`.
 */
export class TransformersScorer implements LogprobScorer {
  private constructor(
    private readonly model: CausalLm,
    readonly name: string,
    /** The device that loaded. */
    readonly device: TransformersDevice,
    private readonly chunkTokens: number,
  ) {}

  /** Loads `modelId` (resolved by transformers.js' env: a local folder or the Hub) on the first device that works. */
  static async load(modelId: string, options: TransformersScorerOptions = {}): Promise<TransformersScorer> {
    const devices = options.devices ?? ['webgpu', 'wasm'];
    const dtype = options.dtype ?? 'fp32';
    const failures: string[] = [];
    for (const device of devices) {
      try {
        const model = await AutoModelForCausalLM.from_pretrained(modelId, {
          dtype,
          device,
          local_files_only: options.localFilesOnly ?? false,
        });
        return new TransformersScorer(
          model,
          `${modelId} (transformers.js, ${device}, ${dtype})`,
          device,
          options.chunkTokens ?? 64,
        );
      } catch (err) {
        failures.push(`${device}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    throw new Error(`could not load ${modelId} with transformers.js on any device (${failures.join('; ')})`);
  }

  async scoreTokens(
    promptIds: readonly number[],
    responseIds: readonly number[],
    signal?: AbortSignal,
  ): Promise<Float64Array> {
    if (promptIds.length === 0) throw new Error('scoreTokens: the prompt must hold at least one token');
    const sequence = [...promptIds, ...responseIds];
    const out = new Float64Array(responseIds.length);
    // Inputs 0..n−2 predict tokens 1..n−1; we need the predictions of the response tokens.
    const inputs = sequence.length - 1;
    let past: Record<string, Tensor> | null = null;
    for (let start = 0; start < inputs; start += this.chunkTokens) {
      signal?.throwIfAborted();
      const end = Math.min(start + this.chunkTokens, inputs);
      const ids = sequence.slice(start, end);
      const result = await this.model({
        input_ids: int64(ids, [1, ids.length]),
        attention_mask: int64(new BigInt64Array(end).fill(1n), [1, end]),
        position_ids: int64(
          ids.map((_, i) => start + i),
          [1, ids.length],
        ),
        past_key_values: past,
      });
      // Other exports' fp16 graphs return float16 logits; log-probs are taken in float32 or more.
      const raw: unknown = result.logits;
      const logits: unknown =
        raw instanceof Tensor ? (raw.type === 'float16' ? raw.to('float32') : raw).data : undefined;
      if (!(logits instanceof Float32Array)) throw new Error('scoreTokens: the model returned no float logits');
      const vocab = logits.length / ids.length;
      for (let row = 0; row < ids.length; row++) {
        const target = start + row + 1; // index in `sequence` this row predicts
        if (target < promptIds.length) continue;
        out[target - promptIds.length] = logSoftmaxAt(
          logits.subarray(row * vocab, (row + 1) * vocab),
          sequence[target],
        );
      }
      past = presentToPast(result);
    }
    return out;
  }

  async dispose(): Promise<void> {
    await this.model.dispose();
  }
}

/** log softmax(row)[index], in float64. */
export function logSoftmaxAt(row: Float32Array, index: number): number {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i] > max) max = row[i];
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += Math.exp(row[i] - max);
  return row[index] - max - Math.log(sum);
}

/** The model's `present.{i}.key/value` outputs become the next call's `past_key_values.{i}.key/value`. */
export function presentToPast(outputs: Record<string, unknown>): Record<string, Tensor> {
  const past: Record<string, Tensor> = {};
  for (const [name, value] of Object.entries(outputs)) {
    if (name.startsWith('present.') && value instanceof Tensor)
      past[name.replace('present.', 'past_key_values.')] = value;
  }
  return past;
}
