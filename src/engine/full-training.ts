import type { Backend } from './backend';
import type { Qwen3Config } from './config';
import type { LayerWeightGrads } from './layer';
import {
  allLoraTargets,
  modulePath,
  projectionKey,
  projectionShape,
  type LoraTarget,
  type ModelWeights,
} from './params';

/**
 * Full training of the projection weights, for models trained from scratch (the demo
 * pair). Every q/k/v/o/gate/up/down weight of every layer lives in one flat vector, like the
 * LoRA parameters, so the gradient norm and AdamW are one pass each; the embedding (tied
 * LM head) and the norms stay frozen.
 */
export interface ProjectionSlot {
  layer: number;
  target: LoraTarget;
  outDim: number;
  inDim: number;
  /** Start of the (outDim, inDim) weight in the flat vector, a multiple of 64. */
  offset: number;
}

export interface ProjectionLayout {
  slots: ProjectionSlot[];
  /** Total values, padding included. */
  size: number;
}

/** The trained projections, their gradients, each one flat tensor laid out by `layout`. */
export interface ProjectionState<T> {
  layout: ProjectionLayout;
  params: T; // (layout.size)
  grads: T; //  (layout.size)
}

export function projectionLayout(c: Qwen3Config): ProjectionLayout {
  const slots: ProjectionSlot[] = [];
  let offset = 0;
  for (let layer = 0; layer < c.numLayers; layer++) {
    for (const target of allLoraTargets) {
      const [outDim, inDim] = projectionShape(c, target);
      slots.push({ layer, target, outDim, inDim, offset });
      offset = Math.ceil((offset + outDim * inDim) / 64) * 64;
    }
  }
  return { slots, size: offset };
}

/** The Hugging Face tensor name of a slot's weight. */
export function projectionName(slot: ProjectionSlot): string {
  return `model.layers.${slot.layer}.${modulePath(slot.target)}.weight`;
}

/** Packs the projection weights of named tensors into the flat vector. */
export function packProjections(layout: ProjectionLayout, tensors: ReadonlyMap<string, Float32Array>): Float32Array {
  const flat = new Float32Array(layout.size);
  for (const slot of layout.slots) {
    const w = tensors.get(projectionName(slot));
    if (w === undefined || w.length !== slot.outDim * slot.inDim)
      throw new Error(`packProjections: ${projectionName(slot)} is missing or has the wrong size`);
    flat.set(w, slot.offset);
  }
  return flat;
}

/** Unpacks the flat vector into named tensors (the inverse of packProjections). */
export function unpackProjections(layout: ProjectionLayout, flat: Float32Array): Map<string, Float32Array> {
  return new Map(
    layout.slots.map((slot) => [projectionName(slot), flat.slice(slot.offset, slot.offset + slot.outDim * slot.inDim)]),
  );
}

/** The model's weights with every projection a view into state.params; the rest as given (frozen). */
export function withTrainedProjections<T>(
  b: Backend<T>,
  frozen: ModelWeights<T>,
  state: ProjectionState<T>,
): ModelWeights<T> {
  const layers = frozen.layers.map((w) => ({ ...w }));
  for (const slot of state.layout.slots)
    layers[slot.layer][projectionKey[slot.target]] = b.view(state.params, slot.offset, slot.outDim * slot.inDim);
  return { ...frozen, layers };
}

/** Per-layer views of the projection gradients, for Qwen3Model.backward. */
export function projectionGrads<T>(b: Backend<T>, c: Qwen3Config, state: ProjectionState<T>): LayerWeightGrads<T>[] {
  const grads: LayerWeightGrads<T>[] = Array.from({ length: c.numLayers }, () => ({}));
  for (const slot of state.layout.slots)
    grads[slot.layer][projectionKey[slot.target]] = b.view(state.grads, slot.offset, slot.outDim * slot.inDim);
  return grads;
}
