import type * as Op from './backend-types';

export type * from './backend-types';

/**
 * The ops the Qwen3 model needs, on opaque tensors of one backend (CPU float arrays, or
 * WebGPU buffers). Each compute op takes one object of named arguments (./backend-types).
 * Ops record or run work in order; `read` waits for it and returns the values.
 */
export interface Backend<T> {
  readonly name: string;

  /** A tensor holding `data`. */
  upload(data: Float32Array, label: string): T;
  /**
   * A matrix of `rows` rows holding `data`: the same as upload, except that a backend may split
   * it by rows over several buffers when it is larger than one binding (WebGPU), and that the
   * caller gives `data` up: a backend may keep it as the tensor rather than copy it (the CPU's).
   */
  uploadRows(data: Float32Array, rows: number, label: string): T;
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
  /** Frees a tensor made by this backend (not a view). */
  release(t: T): void;
  /** Bytes of the tensors made and not yet released: what the model, caches and scratch hold. */
  readonly liveBytes: number;
  /**
   * Decode steps the engine records before it reads their sampled tokens: 1 where a read costs
   * nothing (the CPU); more on a GPU, where each read waits for a submit to finish and come back.
   * Steps past a stop token are computed and dropped.
   */
  readonly decodeStepsPerRead: number;
  /** Submits recorded work (WebGPU); a no-op on the CPU. */
  flush(): Promise<void>;

  fill(args: Op.FillArgs<T>): void;
  copy(args: Op.CopyArgs<T>): void;
  add(args: Op.AddArgs<T>): void;
  embedding(args: Op.EmbeddingArgs<T>): void;
  rmsNormForward(args: Op.RmsNormForwardArgs<T>): void;
  rmsNormBackward(args: Op.RmsNormBackwardArgs<T>): void;
  matmul(args: Op.MatmulArgs<T>): void;
  rope(args: Op.RopeArgs<T>): void;
  attentionForward(args: Op.AttentionForwardArgs<T>): void;
  attentionBackward(args: Op.AttentionBackwardArgs<T>): void;
  swigluForward(args: Op.SwigluForwardArgs<T>): void;
  swigluBackward(args: Op.SwigluBackwardArgs<T>): void;
  vocabLogprobsForward(args: Op.VocabLogprobsForwardArgs<T>): void;
  vocabLogprobsBackward(args: Op.VocabLogprobsBackwardArgs<T>): void;
  /** Records a sequence's PPO loss and its gradient on the device, for a training step that reads back once. */
  ppoLoss(args: Op.PpoLossArgs<T>): void;
  gradNorm(args: Op.GradNormArgs<T>): void;
  adamw(args: Op.AdamWArgs<T>): void;
  /** Records the sampling of the next token; read `out` for it (one small read per token). */
  sampleToken(args: Op.SampleTokenArgs<T>): void;
}
