import type { Qwen3Config } from './config';

/** The projections LoRA can adapt, by their Hugging Face module names. */
export type LoraTarget = 'q_proj' | 'k_proj' | 'v_proj' | 'o_proj' | 'gate_proj' | 'up_proj' | 'down_proj';

export const allLoraTargets: readonly LoraTarget[] = [
  'q_proj',
  'k_proj',
  'v_proj',
  'o_proj',
  'gate_proj',
  'up_proj',
  'down_proj',
];

/** The key of a projection in a layer's weights, adapters and gradients. */
export const projectionKey = {
  q_proj: 'q',
  k_proj: 'k',
  v_proj: 'v',
  o_proj: 'o',
  gate_proj: 'gate',
  up_proj: 'up',
  down_proj: 'down',
} as const satisfies Record<LoraTarget, string>;

/** The Hugging Face module path of a projection inside a layer. */
export function modulePath(target: LoraTarget): string {
  return target === 'gate_proj' || target === 'up_proj' || target === 'down_proj'
    ? `mlp.${target}`
    : `self_attn.${target}`;
}

/** (out, in) of a projection. */
export function projectionShape(c: Qwen3Config, target: LoraTarget): [out: number, inp: number] {
  const q = c.numHeads * c.headDim;
  const kv = c.numKvHeads * c.headDim;
  switch (target) {
    case 'q_proj':
      return [q, c.hiddenSize];
    case 'k_proj':
    case 'v_proj':
      return [kv, c.hiddenSize];
    case 'o_proj':
      return [c.hiddenSize, q];
    case 'gate_proj':
    case 'up_proj':
      return [c.intermediateSize, c.hiddenSize];
    case 'down_proj':
      return [c.hiddenSize, c.intermediateSize];
  }
}

/** The frozen weights of one layer. */
export interface LayerWeights<T> {
  inputNorm: T; //    (C)
  q: T; //            (Hq·D, C)
  k: T; //            (Hkv·D, C)
  v: T; //            (Hkv·D, C)
  qNorm: T; //        (D)
  kNorm: T; //        (D)
  o: T; //            (C, Hq·D)
  postNorm: T; //     (C)
  gate: T; //         (I, C)
  up: T; //           (I, C)
  down: T; //         (C, I)
}

export interface ModelWeights<T> {
  embed: T; //        (V, C)
  layers: LayerWeights<T>[];
  finalNorm: T; //    (C)
  lmHead: T; //       (V, C), the embedding itself when tied
}

/** Every Hugging Face tensor name of a Qwen3 checkpoint with its shape. */
export function weightNames(c: Qwen3Config): { name: string; shape: number[] }[] {
  const C = c.hiddenSize;
  const names = [{ name: 'model.embed_tokens.weight', shape: [c.vocabSize, C] }];
  for (let i = 0; i < c.numLayers; i++) {
    const p = `model.layers.${i}`;
    names.push({ name: `${p}.input_layernorm.weight`, shape: [C] });
    names.push({ name: `${p}.post_attention_layernorm.weight`, shape: [C] });
    names.push({ name: `${p}.self_attn.q_norm.weight`, shape: [c.headDim] });
    names.push({ name: `${p}.self_attn.k_norm.weight`, shape: [c.headDim] });
    for (const target of allLoraTargets)
      names.push({ name: `${p}.${modulePath(target)}.weight`, shape: projectionShape(c, target) });
  }
  names.push({ name: 'model.norm.weight', shape: [C] });
  if (!c.tieWordEmbeddings) names.push({ name: 'lm_head.weight', shape: [c.vocabSize, C] });
  return names;
}

/** Builds the weight structure from tensors by Hugging Face name. */
export function assembleWeights<T>(c: Qwen3Config, get: (name: string) => T): ModelWeights<T> {
  const embed = get('model.embed_tokens.weight');
  return {
    embed,
    layers: Array.from({ length: c.numLayers }, (_, i) => {
      const p = `model.layers.${i}`;
      return {
        inputNorm: get(`${p}.input_layernorm.weight`),
        q: get(`${p}.self_attn.q_proj.weight`),
        k: get(`${p}.self_attn.k_proj.weight`),
        v: get(`${p}.self_attn.v_proj.weight`),
        qNorm: get(`${p}.self_attn.q_norm.weight`),
        kNorm: get(`${p}.self_attn.k_norm.weight`),
        o: get(`${p}.self_attn.o_proj.weight`),
        postNorm: get(`${p}.post_attention_layernorm.weight`),
        gate: get(`${p}.mlp.gate_proj.weight`),
        up: get(`${p}.mlp.up_proj.weight`),
        down: get(`${p}.mlp.down_proj.weight`),
      };
    }),
    finalNorm: get('model.norm.weight'),
    lmHead: c.tieWordEmbeddings ? embed : get('lm_head.weight'),
  };
}

/** A seeded xorshift generator of floats in [-1, 1). */
export function seededRandom(seed: number): () => number {
  let s = (seed >>> 0) ^ 0x9e3779b9 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) / 2 ** 32) * 2 - 1;
  };
}

/** Random weights for tests and benchmarks: projections ~ U(±1/√in), norms near 1. */
export function randomWeights(c: Qwen3Config, seed: number): Map<string, Float32Array> {
  const rand = seededRandom(seed);
  const out = new Map<string, Float32Array>();
  for (const { name, shape } of weightNames(c)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const isNorm = shape.length === 1;
    const scale = isNorm ? 0.1 : name.includes('embed') || name.includes('lm_head') ? 0.5 : 1 / Math.sqrt(shape[1]);
    out.set(
      name,
      Float32Array.from({ length: n }, () => (isNorm ? 1 : 0) + scale * rand()),
    );
  }
  return out;
}
