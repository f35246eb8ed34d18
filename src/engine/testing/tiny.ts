import type { Backend } from '../backend';
import type { Qwen3Config } from '../config';
import { initLoraParams, loraLayout, type LoraConfig } from '../lora';
import { Qwen3Model, type LoraState } from '../model';
import { assembleWeights, randomWeights, seededRandom, weightNames } from '../params';
import { createLoraState } from '../lora-state';

/** A tiny Qwen3 with GQA and head_dim ≠ hidden/heads, for tests and examples. */
export const tinyConfig: Qwen3Config = {
  hiddenSize: 8,
  intermediateSize: 12,
  numLayers: 2,
  numHeads: 4,
  numKvHeads: 2,
  headDim: 4,
  rmsNormEps: 1e-6,
  ropeTheta: 10000,
  vocabSize: 17,
  tieWordEmbeddings: true,
  maxPositionEmbeddings: 128,
  torchDtype: 'float32',
};

/**
 * A model with seeded random weights on `backend`, uploaded as loadQwen3 uploads them
 * (matrices by rows); `matrices` may change the matrices first (e.g. round them to f16).
 */
export function randomModel<T>(
  backend: Backend<T>,
  config: Qwen3Config = tinyConfig,
  seed = 1,
  matrices: (w: Float32Array, rows: number) => Float32Array = (w) => w,
): Qwen3Model<T> {
  const weights = randomWeights(config, seed);
  const rows = new Map(weightNames(config).map(({ name, shape }) => [name, shape.length === 2 ? shape[0] : 0]));
  return new Qwen3Model(
    backend,
    config,
    assembleWeights(config, (name) => {
      const w = weights.get(name);
      if (w === undefined) throw new Error(`no weight ${name}`);
      const r = rows.get(name) ?? 0;
      return r > 0 ? backend.uploadRows(matrices(w, r), r, name) : backend.upload(w, name);
    }),
  );
}

/** LoRA state with random A and (unlike PEFT's init) random B, so gradients reach both. */
export function randomLora<T>(
  backend: Backend<T>,
  config: Qwen3Config,
  lc: LoraConfig,
  seed = 2,
  bScale = 0.1,
): LoraState<T> {
  const layout = loraLayout(config, lc);
  const params = initLoraParams(layout, seed);
  const rand = seededRandom(seed + 1);
  for (const slot of layout.slots) {
    for (let i = 0; i < slot.outDim * lc.rank; i++) params[slot.bOffset + i] = bScale * rand();
  }
  return createLoraState(backend, layout, params);
}
