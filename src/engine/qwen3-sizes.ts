import type { Qwen3Config } from './config';

/** The published dimensions of the Qwen3 checkpoints the playground targets (config.json of Qwen/Qwen3-0.6B, -1.7B, -4B). */
export const qwen3Sizes = {
  '0.6B': { hiddenSize: 1024, intermediateSize: 3072, numLayers: 28, numHeads: 16 },
  '1.7B': { hiddenSize: 2048, intermediateSize: 6144, numLayers: 28, numHeads: 16 },
  '4B': { hiddenSize: 2560, intermediateSize: 9728, numLayers: 36, numHeads: 32 },
} as const;
export type Qwen3Size = keyof typeof qwen3Sizes;

export function qwen3Config(size: Qwen3Size, layers?: number): Qwen3Config {
  const s = qwen3Sizes[size];
  return {
    ...s,
    numLayers: layers ?? s.numLayers,
    numKvHeads: 8,
    headDim: 128,
    rmsNormEps: 1e-6,
    ropeTheta: 1_000_000,
    vocabSize: 151936,
    tieWordEmbeddings: true,
    maxPositionEmbeddings: 40960,
    torchDtype: 'bfloat16',
  };
}
