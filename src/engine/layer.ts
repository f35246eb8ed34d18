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

/** The key of a projection in a layer's weights, adapters, activations and gradients. */
export type ProjectionKey = 'q' | 'k' | 'v' | 'o' | 'gate' | 'up' | 'down';

/** Gradients of one layer's projection weights (full training), by projection; absent = frozen. */
export type LayerWeightGrads<T> = Partial<Record<ProjectionKey, T>>;

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
  loraU: Record<ProjectionKey, T>;
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

/** The number of elements of each tensor of LayerActivations for T tokens and LoRA rank `rank` (at least 1). */
export function activationSizes(
  c: Qwen3Config,
  T: number,
  rank: number,
): Record<keyof LayerActivations<unknown>, number> {
  const QD = c.numHeads * c.headDim;
  const KD = c.numKvHeads * c.headDim;
  const C = T * c.hiddenSize;
  const I = T * c.intermediateSize;
  return {
    xn1: C,
    rstd1: T,
    q: T * QD,
    k: T * KD,
    v: T * KD,
    qn: T * QD,
    kn: T * KD,
    rstdQ: T * c.numHeads,
    rstdK: T * c.numKvHeads,
    att: T * QD,
    lse: T * c.numHeads,
    o: C,
    x1: C,
    xn2: C,
    rstd2: T,
    gate: I,
    up: I,
    act: I,
    down: C,
    loraU: Math.max(T * rank, 1) * 7, // all seven projections
  };
}

/** Elements of one layer's activations for T tokens: what keeping every layer's costs. */
export function activationElements(c: Qwen3Config, T: number, rank: number): number {
  return Object.values(activationSizes(c, T, rank)).reduce((sum, n) => sum + n, 0);
}

export function allocateActivations<T>(
  b: Backend<T>,
  c: Qwen3Config,
  T: number,
  rank: number,
  /** Put before each tensor's label (e.g. whose layer it is). */
  label = '',
): LayerActivations<T> {
  const sizes = activationSizes(c, T, rank);
  const z = (name: Exclude<keyof LayerActivations<T>, 'loraU'>) => b.zeros(Math.max(sizes[name], 1), `${label}${name}`);
  const u = (p: ProjectionKey) => b.zeros(sizes.loraU / 7, `${label}lora u ${p}`);
  return {
    xn1: z('xn1'),
    rstd1: z('rstd1'),
    q: z('q'),
    k: z('k'),
    v: z('v'),
    qn: z('qn'),
    kn: z('kn'),
    rstdQ: z('rstdQ'),
    rstdK: z('rstdK'),
    att: z('att'),
    lse: z('lse'),
    o: z('o'),
    x1: z('x1'),
    xn2: z('xn2'),
    rstd2: z('rstd2'),
    gate: z('gate'),
    up: z('up'),
    act: z('act'),
    down: z('down'),
    loraU: { q: u('q'), k: u('k'), v: u('v'), o: u('o'), gate: u('gate'), up: u('up'), down: u('down') },
  };
}

/** Every tensor of `act`, to release them together. */
export function activationTensors<T>(act: LayerActivations<T>): T[] {
  const { loraU, ...rest } = act;
  return [...Object.values(rest), ...Object.values(loraU)];
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

/** One projection y (T, out) = x·Wᵀ + s·(x·Aᵀ)·Bᵀ; u (T, r) = s·x·Aᵀ is kept for the backward. */
export interface LinearForwardArgs<T> {
  y: T; // (T, outDim)
  u: T; // (T, r) written when adapted
  x: T; // (T, inDim)
  W: T; // (outDim, inDim)
  lora: LoraView<T> | undefined;
  T: number;
  outDim: number;
  inDim: number;
}

export function linearForward<T>(b: Backend<T>, { y, u, x, W, lora, T, outDim, inDim }: LinearForwardArgs<T>): void {
  if (lora === undefined) {
    b.matmul({ out: y, a: x, b: W, M: T, N: outDim, K: inDim, transB: true });
    return;
  }
  b.matmul({ out: u, a: x, b: lora.A, M: T, N: lora.rank, K: inDim, transB: true, alpha: lora.scale });
  b.matmul({ out: y, a: x, b: W, M: T, N: outDim, K: inDim, transB: true, lora: { u, b: lora.B, R: lora.rank } });
}

/**
 * The backward of linearForward: dx (+)= dy·W + s·(dy·B)·A; dB += dyᵀ·u; dA += s·(dy·B)ᵀ·x;
 * and dW += dyᵀ·x when W itself is trained (dW given).
 */
export interface LinearBackwardArgs<T> {
  dx: T; // (T, inDim)
  z: T; //  (T, r) scratch: dy·B
  dW: T | undefined; // (outDim, inDim), added into; undefined when W is frozen
  dy: T; // (T, outDim)
  x: T; //  (T, inDim) the forward's input
  u: T; //  (T, r) from the forward
  W: T; //  (outDim, inDim)
  lora: LoraView<T> | undefined;
  T: number;
  outDim: number;
  inDim: number;
  /** Whether dx already holds a gradient to add to. */
  accumulate: boolean;
}

export function linearBackward<T>(b: Backend<T>, args: LinearBackwardArgs<T>): void {
  const { dx, z, dW, dy, x, u, W, lora, T, outDim, inDim, accumulate } = args;
  b.matmul({ out: dx, a: dy, b: W, M: T, N: inDim, K: outDim, accumulate });
  if (dW !== undefined) b.matmul({ out: dW, a: dy, b: x, M: outDim, N: inDim, K: T, transA: true, accumulate: true });
  if (lora === undefined) return;
  const r = lora.rank;
  b.matmul({ out: lora.dB, a: dy, b: u, M: outDim, N: r, K: T, transA: true, accumulate: true });
  b.matmul({ out: z, a: dy, b: lora.B, M: T, N: r, K: outDim });
  b.matmul({ out: lora.dA, a: z, b: x, M: r, N: inDim, K: T, transA: true, alpha: lora.scale, accumulate: true });
  b.matmul({ out: dx, a: z, b: lora.A, M: T, N: inDim, K: r, alpha: lora.scale, accumulate: true });
}

/** A layer's KV cache: keys and values (capacity, Hkv, D), of which the first P are filled. */
export interface LayerCache<T> {
  k: T;
  v: T;
  P: number;
}

/**
 * A prefix computed once for several training sequences (their shared prompt): its cached
 * keys and values, scratch (capacity, Hkv, D) for the attention gradient over all P+T keys,
 * and where the gradient of its own P rows is gathered (P, Hkv, D).
 */
export interface CachedPrefix<T> extends LayerCache<T> {
  dkAll: T;
  dvAll: T;
  dkPrefix: T;
  dvPrefix: T;
}

export interface LayerForwardArgs<T> {
  out: T; // (T, C) the layer's output
  act: LayerActivations<T>; // written, for the backward
  x: T; //   (T, C) the layer's input
  weights: LayerWeights<T>;
  lora: LayerLora<T>;
  config: Qwen3Config;
  T: number;
  /** Keys and values of the tokens before these; the new ones are appended to it. */
  cache?: LayerCache<T>;
}

/**
 * One Qwen3 decoder layer for T tokens at positions P..P+T−1 (P = 0 without a cache):
 * x → RMSNorm → q/k/v → q/k norms → RoPE → causal GQA → o → +x → RMSNorm → SwiGLU MLP → +.
 * With a cache, the new keys and values are appended to it and attention covers all P+T.
 */
export function layerForward<T>(b: Backend<T>, args: LayerForwardArgs<T>): void {
  const { out, act: a, x, weights: w, lora, config: c, T, cache } = args;
  const { hiddenSize: C, intermediateSize: I, numHeads: Hq, numKvHeads: Hkv, headDim: D, rmsNormEps: eps } = c;
  const QD = Hq * D;
  const KD = Hkv * D;
  const P = cache?.P ?? 0;
  const theta = c.ropeTheta;
  // What a projection's linear op looks up by its key: weight, adapter, saved LoRA activation.
  const proj = (p: ProjectionKey) => ({ W: w[p], lora: lora[p], u: a.loraU[p], T });
  b.rmsNormForward({ out: a.xn1, rstd: a.rstd1, inp: x, weight: w.inputNorm, rows: T, C, eps });
  linearForward(b, { ...proj('q'), y: a.q, x: a.xn1, outDim: QD, inDim: C });
  linearForward(b, { ...proj('k'), y: a.k, x: a.xn1, outDim: KD, inDim: C });
  linearForward(b, { ...proj('v'), y: a.v, x: a.xn1, outDim: KD, inDim: C });
  b.rmsNormForward({ out: a.qn, rstd: a.rstdQ, inp: a.q, weight: w.qNorm, rows: T * Hq, C: D, eps });
  b.rmsNormForward({ out: a.kn, rstd: a.rstdK, inp: a.k, weight: w.kNorm, rows: T * Hkv, C: D, eps });
  b.rope({ x: a.qn, T, heads: Hq, D, offset: P, theta, direction: 1 });
  b.rope({ x: a.kn, T, heads: Hkv, D, offset: P, theta, direction: 1 });
  if (cache === undefined) b.attentionForward({ out: a.att, lse: a.lse, q: a.qn, k: a.kn, v: a.v, T, P, Hq, Hkv, D });
  else {
    b.copy({ dst: cache.k, src: a.kn, dstOffset: P * KD, srcOffset: 0, length: T * KD });
    b.copy({ dst: cache.v, src: a.v, dstOffset: P * KD, srcOffset: 0, length: T * KD });
    b.attentionForward({ out: a.att, lse: a.lse, q: a.qn, k: cache.k, v: cache.v, T, P, Hq, Hkv, D });
  }
  linearForward(b, { ...proj('o'), y: a.o, x: a.att, outDim: C, inDim: QD });
  b.copy({ dst: a.x1, src: x, dstOffset: 0, srcOffset: 0, length: T * C });
  b.add({ x: a.x1, delta: a.o, n: T * C });
  b.rmsNormForward({ out: a.xn2, rstd: a.rstd2, inp: a.x1, weight: w.postNorm, rows: T, C, eps });
  linearForward(b, { ...proj('gate'), y: a.gate, x: a.xn2, outDim: I, inDim: C });
  linearForward(b, { ...proj('up'), y: a.up, x: a.xn2, outDim: I, inDim: C });
  b.swigluForward({ out: a.act, gate: a.gate, up: a.up, n: T * I });
  linearForward(b, { ...proj('down'), y: a.down, x: a.act, outDim: C, inDim: I });
  b.copy({ dst: out, src: a.x1, dstOffset: 0, srcOffset: 0, length: T * C });
  b.add({ x: out, delta: a.down, n: T * C });
}

export interface LayerBackwardArgs<T> {
  /** (T, C) on entry the gradient of the layer's output; on return that of its input x. */
  dres: T;
  scratch: LayerGradScratch<T>;
  /** Projection-weight gradients, added into (full training); absent = frozen. */
  dweights: LayerWeightGrads<T>;
  act: LayerActivations<T>; // from the forward
  x: T; // (T, C) the layer's input
  weights: LayerWeights<T>;
  /** LoRA gradients are added into the adapters' dA and dB. */
  lora: LayerLora<T>;
  config: Qwen3Config;
  T: number;
  /** A cached prefix: attention covers its keys; their gradient is added into dkPrefix and dvPrefix. */
  prefix?: CachedPrefix<T>;
  /** Gradient (T, Hkv, D) that these tokens' roped keys and values get from later sequences (a shared prefix's backward). */
  kvGradient?: { dk: T; dv: T };
}

/** The exact reverse of layerForward. */
export function layerBackward<T>(b: Backend<T>, args: LayerBackwardArgs<T>): void {
  const { dres, scratch: g, dweights: dw, act: a, x, weights: w, lora, config: c, T, prefix, kvGradient } = args;
  const { hiddenSize: C, intermediateSize: I, numHeads: Hq, numKvHeads: Hkv, headDim: D } = c;
  const QD = Hq * D;
  const KD = Hkv * D;
  const P = prefix?.P ?? 0;
  const theta = c.ropeTheta;
  // What a projection's backward looks up by its key: weight, adapter, saved LoRA activation, gradients.
  const proj = (p: ProjectionKey) => ({ W: w[p], lora: lora[p], u: a.loraU[p], dW: dw[p], z: g.z, T });
  // MLP: xOut = x1 + down(swiglu(gate(xn2), up(xn2))).
  linearBackward(b, { ...proj('down'), dx: g.dAct, dy: dres, x: a.act, outDim: C, inDim: I, accumulate: false });
  b.swigluBackward({ dgate: g.dGate, dup: g.dUp, dout: g.dAct, gate: a.gate, up: a.up, n: T * I });
  linearBackward(b, { ...proj('up'), dx: g.dXn, dy: g.dUp, x: a.xn2, outDim: I, inDim: C, accumulate: false });
  linearBackward(b, { ...proj('gate'), dx: g.dXn, dy: g.dGate, x: a.xn2, outDim: I, inDim: C, accumulate: true });
  b.rmsNormBackward({
    dinp: dres,
    dout: g.dXn,
    inp: a.x1,
    weight: w.postNorm,
    rstd: a.rstd2,
    rows: T,
    C,
    accumulate: true,
  });
  // Attention: x1 = x + o(attention(rope(norm(q)), rope(norm(k)), v)).
  linearBackward(b, { ...proj('o'), dx: g.dAtt, dy: dres, x: a.att, outDim: C, inDim: QD, accumulate: false });
  const saved = { dout: g.dAtt, q: a.qn, out: a.att, lse: a.lse, T, P, Hq, Hkv, D };
  if (prefix === undefined) b.attentionBackward({ ...saved, dq: g.dQn, dk: g.dKn, dv: g.dV, k: a.kn, v: a.v });
  else {
    b.attentionBackward({ ...saved, dq: g.dQn, dk: prefix.dkAll, dv: prefix.dvAll, k: prefix.k, v: prefix.v });
    // The prefix's rows wait for its own backward; this sequence's rows go further back now.
    b.add({ x: prefix.dkPrefix, delta: prefix.dkAll, n: P * KD });
    b.add({ x: prefix.dvPrefix, delta: prefix.dvAll, n: P * KD });
    b.copy({ dst: g.dKn, src: prefix.dkAll, dstOffset: 0, srcOffset: P * KD, length: T * KD });
    b.copy({ dst: g.dV, src: prefix.dvAll, dstOffset: 0, srcOffset: P * KD, length: T * KD });
  }
  if (kvGradient !== undefined) {
    b.add({ x: g.dKn, delta: kvGradient.dk, n: T * KD });
    b.add({ x: g.dV, delta: kvGradient.dv, n: T * KD });
  }
  b.rope({ x: g.dKn, T, heads: Hkv, D, offset: P, theta, direction: -1 });
  b.rope({ x: g.dQn, T, heads: Hq, D, offset: P, theta, direction: -1 });
  b.rmsNormBackward({
    dinp: g.dK,
    dout: g.dKn,
    inp: a.k,
    weight: w.kNorm,
    rstd: a.rstdK,
    rows: T * Hkv,
    C: D,
    accumulate: false,
  });
  b.rmsNormBackward({
    dinp: g.dQ,
    dout: g.dQn,
    inp: a.q,
    weight: w.qNorm,
    rstd: a.rstdQ,
    rows: T * Hq,
    C: D,
    accumulate: false,
  });
  linearBackward(b, { ...proj('v'), dx: g.dXn, dy: g.dV, x: a.xn1, outDim: KD, inDim: C, accumulate: false });
  linearBackward(b, { ...proj('k'), dx: g.dXn, dy: g.dK, x: a.xn1, outDim: KD, inDim: C, accumulate: true });
  linearBackward(b, { ...proj('q'), dx: g.dXn, dy: g.dQ, x: a.xn1, outDim: QD, inDim: C, accumulate: true });
  b.rmsNormBackward({
    dinp: dres,
    dout: g.dXn,
    inp: x,
    weight: w.inputNorm,
    rstd: a.rstd1,
    rows: T,
    C,
    accumulate: true,
  });
}
