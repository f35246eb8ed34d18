import type { Qwen3Config } from './config';
import { allLoraTargets, projectionShape, seededRandom, type LoraTarget } from './params';

export interface LoraConfig {
  rank: number;
  alpha: number;
  targets: readonly LoraTarget[];
}

export const defaultLoraConfig: LoraConfig = { rank: 16, alpha: 32, targets: allLoraTargets };

/** Where one adapted projection's A (r, in) and B (out, r) live in the flat parameter vector. */
export interface LoraSlot {
  layer: number;
  target: LoraTarget;
  inDim: number;
  outDim: number;
  aOffset: number;
  bOffset: number;
}

/**
 * Every LoRA parameter lives in one flat vector (llm.c style), so the gradient norm and the
 * AdamW update are one pass each. Each view starts on a multiple of 64 values, which keeps
 * WebGPU binding offsets 256-byte aligned.
 */
export interface LoraLayout {
  config: LoraConfig;
  /** alpha / rank */
  scale: number;
  slots: LoraSlot[];
  /** Total values, padding included. */
  size: number;
}

const align = (n: number) => Math.ceil(n / 64) * 64;

export function loraLayout(c: Qwen3Config, config: LoraConfig = defaultLoraConfig): LoraLayout {
  if (!Number.isInteger(config.rank) || config.rank < 1)
    throw new Error(`LoRA rank must be a positive integer, got ${config.rank}`);
  if (!(config.alpha > 0)) throw new Error(`LoRA alpha must be positive, got ${config.alpha}`);
  const slots: LoraSlot[] = [];
  let offset = 0;
  for (let layer = 0; layer < c.numLayers; layer++) {
    for (const target of allLoraTargets) {
      if (!config.targets.includes(target)) continue;
      const [outDim, inDim] = projectionShape(c, target);
      const aOffset = offset;
      offset = align(offset + config.rank * inDim);
      const bOffset = offset;
      offset = align(offset + outDim * config.rank);
      slots.push({ layer, target, inDim, outDim, aOffset, bOffset });
    }
  }
  return { config, scale: config.alpha / config.rank, slots, size: offset };
}

/** PEFT's initialisation: A ~ U(±1/√in) (Kaiming-uniform with a = √5), B = 0, so the adapter starts as a no-op. */
export function initLoraParams(layout: LoraLayout, seed: number): Float32Array {
  const params = new Float32Array(layout.size);
  const rand = seededRandom(seed);
  for (const slot of layout.slots) {
    const bound = 1 / Math.sqrt(slot.inDim);
    for (let i = 0; i < layout.config.rank * slot.inDim; i++) params[slot.aOffset + i] = bound * rand();
  }
  return params;
}

/** The slot of (layer, target), if that projection is adapted. */
export function findSlot(layout: LoraLayout, layer: number, target: LoraTarget): LoraSlot | undefined {
  return layout.slots.find((s) => s.layer === layer && s.target === target);
}
