import { AutoModelForCausalLM } from '@huggingface/transformers';
import type { LogprobScorer } from '../core/policy';
import { logSoftmaxAt } from '../engine/sampling';
import type { ExportDtype } from './onnx/dtypes';
import { type CausalLm, forEachPrediction } from './onnx-scoring';

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
  dtype?: ExportDtype;
}

/**
 * Teacher-forced log-probs through @huggingface/transformers on onnxruntime (a model folder
 * with `onnx/model.onnx`), chunk by chunk with the KV cache (forEachPrediction).
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
    const out = new Float64Array(responseIds.length);
    await forEachPrediction(
      this.model,
      this.chunkTokens,
      promptIds,
      responseIds,
      (t, row) => {
        out[t] = logSoftmaxAt(row, responseIds[t]);
      },
      signal,
    );
    return out;
  }

  async dispose(): Promise<void> {
    await this.model.dispose();
  }
}
