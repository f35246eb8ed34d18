import type { AdamWSettings } from './cpu/adamw';
import type { AttentionDims } from './cpu/attention';

export type { AdamWSettings, AttentionDims };

/** Options of the one matmul: out (M, N) = α · op(a) · op(b) (+ out) (+ lora.u · lora.bᵀ). */
export interface MatmulSpec<T> {
  M: number;
  N: number;
  K: number;
  /** a stored (K, M). */
  transA?: boolean;
  /** b stored (N, K): a Linear weight. */
  transB?: boolean;
  alpha?: number;
  accumulate?: boolean;
  lora?: { u: T; b: T; R: number };
}

/**
 * The ops the Qwen3 model needs, on opaque tensors of one backend (CPU float arrays, or
 * WebGPU buffers). Argument order everywhere: outputs first, then inputs and weights, then
 * sizes. Ops record or run work in order; `read` waits for it and returns the values.
 */
export interface Backend<T> {
  readonly name: string;

  /** A tensor holding `data`. */
  upload(data: Float32Array, label: string): T;
  /** A zero-filled tensor of `length` values. */
  zeros(length: number, label: string): T;
  /** Token ids (for gathers and targets). */
  uploadIds(ids: readonly number[], label: string): T;
  /** Overwrites values [offset, offset + data.length) of a tensor. */
  write(t: T, data: Float32Array, offset?: number): void;
  /** Overwrites the first ids of an id tensor. */
  writeIds(t: T, ids: readonly number[]): void;
  /** Values [offset, offset + length) of a tensor, once all recorded work is done (float64 on a float64 backend). */
  read(t: T, length: number, offset?: number): Promise<Float32Array | Float64Array>;
  /** A view of values [offset, offset + length) of a tensor (offset a multiple of 64). */
  view(t: T, offset: number, length: number): T;
  /** Frees a tensor made by this backend. */
  release(t: T): void;
  /** Submits recorded work (WebGPU); a no-op on the CPU. */
  flush(): Promise<void>;

  fill(x: T, value: number, length: number): void;
  copy(dst: T, dstOffset: number, src: T, srcOffset: number, length: number): void;
  /** x += delta over n values (the residual connection). */
  add(x: T, delta: T, n: number): void;
  embedding(out: T, ids: T, table: T, T: number, C: number, V: number): void;
  rmsNormForward(out: T, rstd: T, inp: T, weight: T, rows: number, C: number, eps: number): void;
  rmsNormBackward(dinp: T, dout: T, inp: T, weight: T, rstd: T, rows: number, C: number, accumulate: boolean): void;
  matmul(out: T, a: T, b: T, spec: MatmulSpec<T>): void;
  /** Rotates (T, heads, D) in place for positions offset.., forward or back. */
  rope(x: T, T: number, heads: number, D: number, offset: number, theta: number, direction: 1 | -1): void;
  attentionForward(out: T, lse: T, q: T, k: T, v: T, dims: AttentionDims): void;
  attentionBackward(dq: T, dk: T, dv: T, dout: T, q: T, k: T, v: T, out: T, lse: T, dims: AttentionDims): void;
  swigluForward(out: T, gate: T, up: T, n: number): void;
  swigluBackward(dgate: T, dup: T, dout: T, gate: T, up: T, n: number): void;
  /** log softmax(hidden · Wᵀ)[target] per row, W (V, C), never holding (T × V) logits. */
  vocabLogprobsForward(logprobs: T, lse: T, hidden: T, weight: T, targets: T, T: number, C: number, V: number): void;
  /** dhidden += the gradient of Σ dlogprobs_t · logprobs_t (recomputing logits chunk by chunk). */
  vocabLogprobsBackward(
    dhidden: T,
    dlogprobs: T,
    hidden: T,
    weight: T,
    targets: T,
    lse: T,
    T: number,
    C: number,
    V: number,
  ): void;
  /** norm[0] = ‖grads‖₂ over n values. */
  gradNorm(norm: T, grads: T, n: number): void;
  adamw(params: T, grads: T, m: T, v: T, norm: T, n: number, step: number, settings: AdamWSettings): void;
}
