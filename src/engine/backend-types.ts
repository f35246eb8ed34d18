import type { QuantFormat } from './quantize';

/**
 * The arguments of the Backend port's ops, one named-argument object per op, over a
 * backend's opaque tensor type T. Field order everywhere: outputs first, then inputs and
 * weights, then sizes. Shapes are in values, row-major. Nothing here depends on a backend.
 */

/**
 * How a backend stores a model's matrices. 'f16' and 'bf16' halve their memory: f16 rounds,
 * bf16 only takes matrices whose values are all bf16 (checkpoints saved in bf16, as Qwen3's
 * are), so it changes no value, and leaves others f32. 'int8' and 'int4' (./quantize) quarter
 * and eighth it, for models that only score. Compute stays f32: each weight is widened as it is read.
 */
export type WeightFormat = 'f32' | 'f16' | 'bf16' | QuantFormat;

/** A weight format and, for int4, its values per scale. */
export interface WeightStorage {
  format: WeightFormat;
  groupSize?: number;
}

/** Sizes of one causal GQA attention: T queries at positions P..P+T−1 over P+T keys. */
export interface AttentionDims {
  T: number; //   queries
  P: number; //   keys before the first query (KV-cache length; 0 in training)
  Hq: number; //  query heads
  Hkv: number; // key/value heads (Hq is a multiple)
  D: number; //   head_dim
}

export interface AdamWSettings {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Global gradient-norm clip; 0 turns clipping off. */
  maxGradNorm: number;
}

/** Sizes and options of the one matmul: out (M, N) = α · op(a) · op(b) (+ out) (+ lora.u · lora.bᵀ). */
export interface MatmulSpec<T> {
  M: number;
  N: number;
  K: number;
  /** a stored (K, M). */
  transA?: boolean;
  /** b stored (N, K): a Linear weight, y = x·Wᵀ. */
  transB?: boolean;
  /** Scale of the product. Default 1. */
  alpha?: number;
  /** Add into out instead of overwriting it (gradient accumulation). */
  accumulate?: boolean;
  /** A fused LoRA branch: out += u · bᵀ, not scaled by alpha. */
  lora?: {
    u: T; // (M, R) = s · x · Aᵀ, the scaled down-projection
    b: T; // (N, R) the up-projection B
    R: number;
  };
}

export interface MatmulArgs<T> extends MatmulSpec<T> {
  out: T; // (M, N)
  a: T; //   (M, K), or (K, M) when transA
  b: T; //   (K, N), or (N, K) when transB
}

export interface FillArgs<T> {
  x: T; // (≥ length)
  value: number;
  length: number;
}

/** dst[dstOffset + i] = src[srcOffset + i] for i < length. */
export interface CopyArgs<T> {
  dst: T; // (≥ dstOffset + length)
  src: T; // (≥ srcOffset + length)
  dstOffset: number;
  srcOffset: number;
  length: number;
}

/** x += delta: the residual connection. */
export interface AddArgs<T> {
  x: T; //     (n), added into
  delta: T; // (n)
  n: number;
}

/** out[t] = table[ids[t]]. */
export interface EmbeddingArgs<T> {
  out: T; //   (T, C)
  ids: T; //   (T) token ids
  table: T; // (V, C)
  T: number;
  C: number;
  V: number;
}

/** out = x · rstd · weight, rstd = 1/√(mean(x²) + eps) per row, saved for the backward. */
export interface RmsNormForwardArgs<T> {
  out: T; //    (rows, C)
  rstd: T; //   (rows) saved for the backward
  inp: T; //    (rows, C)
  weight: T; // (C)
  rows: number;
  C: number;
  eps: number;
}

/** The gradient with respect to the input only: norm weights are frozen. */
export interface RmsNormBackwardArgs<T> {
  dinp: T; //   (rows, C)
  dout: T; //   (rows, C)
  inp: T; //    (rows, C)
  weight: T; // (C)
  rstd: T; //   (rows) from the forward
  rows: number;
  C: number;
  /** Add into dinp (the residual stream's gradient) instead of overwriting it. */
  accumulate: boolean;
}

/** Rotates x in place (Hugging Face rotate_half layout) for positions offset..offset+T−1. */
export interface RopeArgs<T> {
  x: T; // (T, heads, D), rotated in place
  T: number;
  heads: number;
  D: number;
  /** Position of the first token (the KV-cache length when decoding). */
  offset: number;
  theta: number;
  /** 1 rotates forward; −1 rotates back, the backward of the forward. */
  direction: 1 | -1;
}

/** out = softmax(q·kᵀ/√D, causal) · v; query head h reads key/value head h / (Hq/Hkv). */
export interface AttentionForwardArgs<T> extends AttentionDims {
  out: T; // (T, Hq, D)
  lse: T; // (Hq, T) saved for the backward
  q: T; //   (T, Hq, D)
  k: T; //   (≥ P + T, Hkv, D)
  v: T; //   (≥ P + T, Hkv, D)
}

/** Overwrites dq and the first P + T rows of dk and dv. */
export interface AttentionBackwardArgs<T> extends AttentionDims {
  dq: T; //   (T, Hq, D)
  dk: T; //   (≥ P + T, Hkv, D)
  dv: T; //   (≥ P + T, Hkv, D)
  dout: T; // (T, Hq, D)
  q: T; //    (T, Hq, D)
  k: T; //    (≥ P + T, Hkv, D)
  v: T; //    (≥ P + T, Hkv, D)
  out: T; //  (T, Hq, D) from the forward
  lse: T; //  (Hq, T) from the forward
}

/** out = silu(gate) · up, elementwise. */
export interface SwigluForwardArgs<T> {
  out: T; //  (n)
  gate: T; // (n)
  up: T; //   (n)
  n: number;
}

export interface SwigluBackwardArgs<T> {
  dgate: T; // (n)
  dup: T; //   (n)
  dout: T; //  (n)
  gate: T; //  (n)
  up: T; //    (n)
  n: number;
}

/** logprobs[t] = log softmax(hidden_t · Wᵀ)[targets[t]], never holding (T × V) logits. */
export interface VocabLogprobsForwardArgs<T> {
  logprobs: T; // (T)
  lse: T; //      (T) log-sum-exp, saved for the backward
  hidden: T; //   (T, C) after the final norm
  weight: T; //   (V, C) the LM head
  targets: T; //  (T) token ids
  T: number;
  C: number;
  V: number;
  /**
   * Training: the backward that follows (over the same hidden and T, with no other vocabulary
   * forward between) may use this forward's logits instead of recomputing them. WebGPU keeps
   * them while they fit its budget (keptLogitsChunks); the CPU recomputes.
   */
  keepLogits?: boolean;
}

/** dhidden += the gradient of Σ_t dlogprobs_t · logprobs_t, from logits the forward kept or recomputed chunk by chunk. */
export interface VocabLogprobsBackwardArgs<T> {
  dhidden: T; //   (T, C), added into
  dlogprobs: T; // (T)
  hidden: T; //    (T, C)
  weight: T; //    (V, C)
  targets: T; //   (T) token ids
  lse: T; //       (T) from the forward
  T: number;
  C: number;
  V: number;
}

/** The figures of one sequence a PpoLossArgs writes at stats[ppoStatsWidth · slot …], in this order. */
export const ppoStatsFields = ['loss', 'clipped', 'dualClipped', 'klSum', 'nonFinite'] as const;
export const ppoStatsWidth = ppoStatsFields.length;

/**
 * The PPO dual-clip loss of one sequence where its log-probs are (src/sod's ppoLoss):
 * dlogprobs gets ∂loss/∂logprobs (0 outside the response and where the mask is 0, NaN at a
 * log-prob that is not finite, so the step's gradient norm says so), and stats at
 * ppoStatsWidth · slot the loss (already divided by tokenCount), the clipped and dual-clipped
 * token counts, Σ(s − log π) over masked tokens, and the count of log-probs not finite.
 */
export interface PpoLossArgs<T> {
  dlogprobs: T; // (T) overwritten
  stats: T; //     (≥ ppoStatsWidth · (slot + 1))
  logprobs: T; //  (T) the current log-probs; the response's are [offset, offset + n)
  inputs: T; //    (3, n) the rollout's log-probs s, the advantages A, the mask
  T: number;
  offset: number;
  n: number;
  slot: number;
  /** The minibatch's masked tokens (the mean's denominator). */
  tokenCount: number;
  clipLow: number;
  clipHigh: number;
  dualClip: number;
  logRatioClamp: number;
}

/** norm[0] = ‖grads‖₂ over n values. */
export interface GradNormArgs<T> {
  norm: T; //  (1)
  grads: T; // (n)
  n: number;
}

/** One AdamW step (bias-corrected, decoupled weight decay) after clipping the gradients by their global norm. */
export interface AdamWArgs<T> {
  params: T; // (n), updated in place
  grads: T; //  (n)
  m: T; //      (n) first moment, updated in place
  v: T; //      (n) second moment, updated in place
  norm: T; //   (1) ‖grads‖ from gradNorm
  n: number;
  /** 1-based optimizer step, for bias correction. */
  step: number;
  settings: AdamWSettings;
}

/**
 * Picks the next token from one logits row as ../sampling.ts does: temperature ≤ 0 is greedy
 * (the first maximum); else temperature, top-k (0 = off) and top-p (1 = off), drawing with
 * `uniform`. out gets (id, log-prob of id under the temperature-1, unfiltered softmax).
 */
export interface SampleTokenArgs<T> {
  out: T; //    (2) id, log-prob
  /** (≥ 1) token ids: the id is written to the first, so the next step embeds it with no upload. */
  next?: T;
  logits: T; // (V)
  V: number;
  temperature: number;
  topK: number;
  topP: number;
  /** A draw in [0, 1) from the caller's seeded stream; unused when greedy. */
  uniform: number;
}
