import type { Backend } from './backend';
import type { Qwen3Config } from './config';
import type { LayerWeights } from './params';

/** A LoRA adapter on one projection: views of A (r, in), B (out, r) and their gradients. */
export interface LoraView<T> {
  A: T;
  B: T;
  dA: T;
  dB: T;
  rank: number;
  scale: number;
}

/** The adapters of one layer, by projection (absent = not adapted). */
export interface LayerLora<T> {
  q?: LoraView<T>;
  k?: LoraView<T>;
  v?: LoraView<T>;
  o?: LoraView<T>;
  gate?: LoraView<T>;
  up?: LoraView<T>;
  down?: LoraView<T>;
}

/** Gradients of one layer's projection weights (full training), by projection; absent = frozen. */
export type LayerWeightGrads<T> = Partial<Record<'q' | 'k' | 'v' | 'o' | 'gate' | 'up' | 'down', T>>;

/** One layer's activations for T tokens; the forward writes them, the backward reads them. */
export interface LayerActivations<T> {
  xn1: T; //   (T, C) input norm
  rstd1: T; // (T)
  q: T; //     (T, Hq·D) before the q norm
  k: T; //     (T, Hkv·D)
  v: T; //     (T, Hkv·D)
  qn: T; //    (T, Hq·D) normed and rotated
  kn: T; //    (T, Hkv·D)
  rstdQ: T; // (T·Hq)
  rstdK: T; // (T·Hkv)
  att: T; //   (T, Hq·D) attention output
  lse: T; //   (Hq, T)
  o: T; //     (T, C)
  x1: T; //    (T, C) after the attention residual
  xn2: T; //   (T, C)
  rstd2: T; // (T)
  gate: T; //  (T, I)
  up: T; //    (T, I)
  act: T; //   (T, I) silu(gate)·up
  down: T; //  (T, C)
  /** LoRA down-projections s·x·Aᵀ (T, r), one per adapted projection. */
  loraU: Record<'q' | 'k' | 'v' | 'o' | 'gate' | 'up' | 'down', T>;
}

/** Gradient scratch of one layer's backward. */
export interface LayerGradScratch<T> {
  dAct: T; //   (T, I)
  dGate: T; //  (T, I)
  dUp: T; //    (T, I)
  dXn: T; //    (T, C) gradient of a normed input
  dAtt: T; //   (T, Hq·D)
  dQn: T; //    (T, Hq·D)
  dKn: T; //    (T, Hkv·D)
  dV: T; //     (T, Hkv·D)
  dQ: T; //     (T, Hq·D)
  dK: T; //     (T, Hkv·D)
  z: T; //      (T, r) dy·B of a LoRA backward
}

export function allocateActivations<T>(b: Backend<T>, c: Qwen3Config, T: number, rank: number): LayerActivations<T> {
  const QD = c.numHeads * c.headDim;
  const KD = c.numKvHeads * c.headDim;
  const z = (n: number, label: string) => b.zeros(Math.max(n, 1), label);
  const u = (label: string) => z(T * rank, `lora u ${label}`);
  return {
    xn1: z(T * c.hiddenSize, 'xn1'),
    rstd1: z(T, 'rstd1'),
    q: z(T * QD, 'q'),
    k: z(T * KD, 'k'),
    v: z(T * KD, 'v'),
    qn: z(T * QD, 'qn'),
    kn: z(T * KD, 'kn'),
    rstdQ: z(T * c.numHeads, 'rstdQ'),
    rstdK: z(T * c.numKvHeads, 'rstdK'),
    att: z(T * QD, 'att'),
    lse: z(T * c.numHeads, 'lse'),
    o: z(T * c.hiddenSize, 'o'),
    x1: z(T * c.hiddenSize, 'x1'),
    xn2: z(T * c.hiddenSize, 'xn2'),
    rstd2: z(T, 'rstd2'),
    gate: z(T * c.intermediateSize, 'gate'),
    up: z(T * c.intermediateSize, 'up'),
    act: z(T * c.intermediateSize, 'act'),
    down: z(T * c.hiddenSize, 'down'),
    loraU: { q: u('q'), k: u('k'), v: u('v'), o: u('o'), gate: u('gate'), up: u('up'), down: u('down') },
  };
}

export function allocateGradScratch<T>(b: Backend<T>, c: Qwen3Config, T: number, rank: number): LayerGradScratch<T> {
  const QD = c.numHeads * c.headDim;
  const KD = c.numKvHeads * c.headDim;
  const z = (n: number, label: string) => b.zeros(Math.max(n, 1), label);
  return {
    dAct: z(T * c.intermediateSize, 'dAct'),
    dGate: z(T * c.intermediateSize, 'dGate'),
    dUp: z(T * c.intermediateSize, 'dUp'),
    dXn: z(T * c.hiddenSize, 'dXn'),
    dAtt: z(T * QD, 'dAtt'),
    dQn: z(T * QD, 'dQn'),
    dKn: z(T * KD, 'dKn'),
    dV: z(T * KD, 'dV'),
    dQ: z(T * QD, 'dQ'),
    dK: z(T * KD, 'dK'),
    z: z(T * rank, 'lora z'),
  };
}

/** y (T, out) = x·Wᵀ + s·(x·Aᵀ)·Bᵀ; u (T, r) = s·x·Aᵀ is kept for the backward. */
export function linearForward<T>(
  b: Backend<T>,
  y: T,
  u: T,
  x: T,
  W: T,
  lora: LoraView<T> | undefined,
  T: number,
  outDim: number,
  inDim: number,
): void {
  if (lora === undefined) {
    b.matmul(y, x, W, { M: T, N: outDim, K: inDim, transB: true });
    return;
  }
  b.matmul(u, x, lora.A, { M: T, N: lora.rank, K: inDim, transB: true, alpha: lora.scale });
  b.matmul(y, x, W, { M: T, N: outDim, K: inDim, transB: true, lora: { u, b: lora.B, R: lora.rank } });
}

/**
 * The backward of linearForward: dx (+)= dy·W + s·(dy·B)·A; dB += dyᵀ·u; dA += s·(dy·B)ᵀ·x;
 * and dW += dyᵀ·x when W itself is trained (dW given). `accumulate` says whether dx already
 * holds a gradient to add to.
 */
export function linearBackward<T>(
  b: Backend<T>,
  dx: T,
  z: T,
  dW: T | undefined,
  dy: T,
  x: T,
  u: T,
  W: T,
  lora: LoraView<T> | undefined,
  T: number,
  outDim: number,
  inDim: number,
  accumulate: boolean,
): void {
  b.matmul(dx, dy, W, { M: T, N: inDim, K: outDim, accumulate });
  if (dW !== undefined) b.matmul(dW, dy, x, { M: outDim, N: inDim, K: T, transA: true, accumulate: true });
  if (lora === undefined) return;
  const r = lora.rank;
  b.matmul(lora.dB, dy, u, { M: outDim, N: r, K: T, transA: true, accumulate: true });
  b.matmul(z, dy, lora.B, { M: T, N: r, K: outDim });
  b.matmul(lora.dA, z, x, { M: r, N: inDim, K: T, transA: true, alpha: lora.scale, accumulate: true });
  b.matmul(dx, z, lora.A, { M: T, N: inDim, K: r, alpha: lora.scale, accumulate: true });
}

/** A layer's KV cache: keys and values (capacity, Hkv, D), of which the first P are filled. */
export interface LayerCache<T> {
  k: T;
  v: T;
  P: number;
}

/**
 * A prefix held constant in training (a prompt shared by a batch): its cached keys and
 * values, and scratch (capacity, Hkv, D) for the attention gradient over all P+T keys, of
 * which only the sequence's own T rows are kept.
 */
export interface FrozenPrefix<T> extends LayerCache<T> {
  dkAll: T;
  dvAll: T;
}

/**
 * One Qwen3 decoder layer for T tokens at positions P..P+T−1 (P = 0 without a cache):
 * x → RMSNorm → q/k/v → q/k norms → RoPE → causal GQA → o → +x → RMSNorm → SwiGLU MLP → +.
 * With a cache, the new keys and values are appended to it and attention covers all P+T.
 */
export function layerForward<T>(
  b: Backend<T>,
  c: Qwen3Config,
  xOut: T,
  a: LayerActivations<T>,
  x: T,
  w: LayerWeights<T>,
  lora: LayerLora<T>,
  T: number,
  cache?: LayerCache<T>,
): void {
  const { hiddenSize: C, intermediateSize: I, numHeads: Hq, numKvHeads: Hkv, headDim: D } = c;
  const QD = Hq * D;
  const KD = Hkv * D;
  b.rmsNormForward(a.xn1, a.rstd1, x, w.inputNorm, T, C, c.rmsNormEps);
  linearForward(b, a.q, a.loraU.q, a.xn1, w.q, lora.q, T, QD, C);
  linearForward(b, a.k, a.loraU.k, a.xn1, w.k, lora.k, T, KD, C);
  linearForward(b, a.v, a.loraU.v, a.xn1, w.v, lora.v, T, KD, C);
  b.rmsNormForward(a.qn, a.rstdQ, a.q, w.qNorm, T * Hq, D, c.rmsNormEps);
  b.rmsNormForward(a.kn, a.rstdK, a.k, w.kNorm, T * Hkv, D, c.rmsNormEps);
  const P = cache?.P ?? 0;
  b.rope(a.qn, T, Hq, D, P, c.ropeTheta, 1);
  b.rope(a.kn, T, Hkv, D, P, c.ropeTheta, 1);
  if (cache === undefined) b.attentionForward(a.att, a.lse, a.qn, a.kn, a.v, { T, P, Hq, Hkv, D });
  else {
    b.copy(cache.k, P * KD, a.kn, 0, T * KD);
    b.copy(cache.v, P * KD, a.v, 0, T * KD);
    b.attentionForward(a.att, a.lse, a.qn, cache.k, cache.v, { T, P, Hq, Hkv, D });
  }
  linearForward(b, a.o, a.loraU.o, a.att, w.o, lora.o, T, C, QD);
  b.copy(a.x1, 0, x, 0, T * C);
  b.add(a.x1, a.o, T * C);
  b.rmsNormForward(a.xn2, a.rstd2, a.x1, w.postNorm, T, C, c.rmsNormEps);
  linearForward(b, a.gate, a.loraU.gate, a.xn2, w.gate, lora.gate, T, I, C);
  linearForward(b, a.up, a.loraU.up, a.xn2, w.up, lora.up, T, I, C);
  b.swigluForward(a.act, a.gate, a.up, T * I);
  linearForward(b, a.down, a.loraU.down, a.act, w.down, lora.down, T, C, I);
  b.copy(xOut, 0, a.x1, 0, T * C);
  b.add(xOut, a.down, T * C);
}

/**
 * The exact reverse of layerForward. On entry `dres` (T, C) holds the gradient of the
 * layer's output; on return it holds the gradient of its input x. LoRA gradients are added
 * into the adapters' dA/dB, projection-weight gradients into `dw` (full training).
 */
export function layerBackward<T>(
  b: Backend<T>,
  c: Qwen3Config,
  dres: T,
  g: LayerGradScratch<T>,
  dw: LayerWeightGrads<T>,
  a: LayerActivations<T>,
  x: T,
  w: LayerWeights<T>,
  lora: LayerLora<T>,
  T: number,
  prefix?: FrozenPrefix<T>,
): void {
  const { hiddenSize: C, intermediateSize: I, numHeads: Hq, numKvHeads: Hkv, headDim: D } = c;
  const QD = Hq * D;
  const KD = Hkv * D;
  // MLP: xOut = x1 + down(swiglu(gate(xn2), up(xn2))).
  linearBackward(b, g.dAct, g.z, dw.down, dres, a.act, a.loraU.down, w.down, lora.down, T, C, I, false);
  b.swigluBackward(g.dGate, g.dUp, g.dAct, a.gate, a.up, T * I);
  linearBackward(b, g.dXn, g.z, dw.up, g.dUp, a.xn2, a.loraU.up, w.up, lora.up, T, I, C, false);
  linearBackward(b, g.dXn, g.z, dw.gate, g.dGate, a.xn2, a.loraU.gate, w.gate, lora.gate, T, I, C, true);
  b.rmsNormBackward(dres, g.dXn, a.x1, w.postNorm, a.rstd2, T, C, true);
  // Attention: x1 = x + o(attention(rope(norm(q)), rope(norm(k)), v)).
  linearBackward(b, g.dAtt, g.z, dw.o, dres, a.att, a.loraU.o, w.o, lora.o, T, C, QD, false);
  const P = prefix?.P ?? 0;
  if (prefix === undefined)
    b.attentionBackward(g.dQn, g.dKn, g.dV, g.dAtt, a.qn, a.kn, a.v, a.att, a.lse, { T, P, Hq, Hkv, D });
  else {
    b.attentionBackward(g.dQn, prefix.dkAll, prefix.dvAll, g.dAtt, a.qn, prefix.k, prefix.v, a.att, a.lse, {
      T,
      P,
      Hq,
      Hkv,
      D,
    });
    // The prefix's keys and values are constants: only this sequence's own rows go further back.
    b.copy(g.dKn, 0, prefix.dkAll, P * KD, T * KD);
    b.copy(g.dV, 0, prefix.dvAll, P * KD, T * KD);
  }
  b.rope(g.dKn, T, Hkv, D, P, c.ropeTheta, -1);
  b.rope(g.dQn, T, Hq, D, P, c.ropeTheta, -1);
  b.rmsNormBackward(g.dK, g.dKn, a.k, w.kNorm, a.rstdK, T * Hkv, D, false);
  b.rmsNormBackward(g.dQ, g.dQn, a.q, w.qNorm, a.rstdQ, T * Hq, D, false);
  linearBackward(b, g.dXn, g.z, dw.v, g.dV, a.xn1, a.loraU.v, w.v, lora.v, T, KD, C, false);
  linearBackward(b, g.dXn, g.z, dw.k, g.dK, a.xn1, a.loraU.k, w.k, lora.k, T, KD, C, true);
  linearBackward(b, g.dXn, g.z, dw.q, g.dQ, a.xn1, a.loraU.q, w.q, lora.q, T, QD, C, true);
  b.rmsNormBackward(dres, g.dXn, x, w.inputNorm, a.rstd1, T, C, true);
}
