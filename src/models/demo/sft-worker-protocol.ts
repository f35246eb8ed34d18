import type { Qwen3Config } from '../../engine/config';

/** One supervised example: the loss covers the response tokens with mask 1 (what the model wrote). */
export interface SftExample {
  promptIds: readonly number[];
  responseIds: readonly number[];
  mask: readonly number[];
}

/** Messages of a gradient worker: data-parallel SFT from scratch across CPU cores (Node). */
export type SftWorkerProtocol = {
  /** Builds the model from the initial weights and keeps the examples. */
  init: {
    request: { config: Qwen3Config; tensors: [string, Float32Array][]; data: SftExample[] };
    response: null;
    progress: never;
  };
  /** Sets the projections to `params` and returns the summed gradients of the examples (by index). */
  gradients: {
    request: { params: Float32Array; examples: number[]; tokenCount: number };
    response: { grads: Float32Array; loss: number; tokens: number };
    progress: never;
  };
};
