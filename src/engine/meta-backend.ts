import type {
  Backend,
  SampleTokenArgs,
  VocabLogprobsBackwardArgs,
  VocabLogprobsForwardArgs,
  WeightStorage,
} from './backend';
import { matrixBytes } from './weight-format';
import { BufferPool } from './webgpu/buffers';
import {
  defaultKeptLogitsBytes,
  keptLogitsChunks,
  keptLogitsValues,
  vocabChunkTokens,
} from './webgpu/ops/vocab-logprobs';

/** A tensor of the meta backend: its size and label, no values. */
export interface MetaTensor {
  readonly length: number;
  readonly label: string;
  /** Bytes it holds (0 for a view). */
  readonly bytes: number;
}

/**
 * A backend that allocates nothing and computes nothing (like PyTorch's "meta" device): the
 * engine's own code runs on it as it would on a real one, and it counts the bytes every
 * tensor would take, by label. The memory plan is that count, made before anything loads.
 * Reads return zeros of the asked length.
 */
export class MetaBackend implements Backend<MetaTensor> {
  readonly name = 'meta';
  liveBytes = 0;
  readonly decodeStepsPerRead = 1;
  /** The most bytes held at once. */
  peakBytes = 0;
  private readonly live = new Set<MetaTensor>();
  private vocabChunks: MetaTensor[] = [];
  private sampleScratch: MetaTensor | undefined;

  /** `weights`: how uploadRows would store matrices, as the backends do. */
  constructor(
    private readonly bytesPerValue = 4,
    private readonly weights: WeightStorage = { format: 'f32' },
  ) {}

  upload(data: Float32Array, label: string): MetaTensor {
    return this.make(data.length, label);
  }
  uploadRows(data: Float32Array, rows: number, label: string): MetaTensor {
    return this.matrix(data.length, data.length / rows, label);
  }
  /** What uploadRows of `length` values in rows of `cols` would hold, without the values. */
  matrix(length: number, cols: number, label: string): MetaTensor {
    if (this.weights.format === 'f32') return this.make(length, label);
    return this.make(matrixBytes(this.weights, length, cols), label, 1);
  }
  zeros(length: number, label: string): MetaTensor {
    return this.make(length, label);
  }
  uploadIds(ids: readonly number[], label: string): MetaTensor {
    return this.make(ids.length, label);
  }
  write(): void {}
  writeIds(): void {}
  async read(_t: MetaTensor, length: number): Promise<Float32Array> {
    return new Float32Array(length);
  }
  view(t: MetaTensor, _offset: number, length: number): MetaTensor {
    return { length, label: t.label, bytes: 0 };
  }
  release(t: MetaTensor): void {
    if (!this.live.delete(t)) return;
    this.liveBytes -= t.bytes;
  }
  async flush(): Promise<void> {}

  /** The tensors held now. */
  tensors(): readonly MetaTensor[] {
    return [...this.live];
  }

  /** Bytes held now, summed by `group(label)`. */
  bytesBy<K>(group: (label: string) => K): Map<K, number> {
    const out = new Map<K, number>();
    for (const t of this.live) out.set(group(t.label), (out.get(group(t.label)) ?? 0) + t.bytes);
    return out;
  }

  fill(): void {}
  copy(): void {}
  add(): void {}
  embedding(): void {}
  rmsNormForward(): void {}
  rmsNormBackward(): void {}
  matmul(): void {}
  rope(): void {}
  attentionForward(): void {}
  attentionBackward(): void {}
  swigluForward(): void {}
  swigluBackward(): void {}
  vocabLogprobsForward({ T, V, keepLogits }: VocabLogprobsForwardArgs<MetaTensor>): void {
    const kept = keepLogits === true ? keptLogitsChunks(T, V, defaultKeptLogitsBytes) : 0;
    if (kept > 0) this.holdVocabChunks(kept, keptLogitsValues(vocabChunkTokens, V) * 4);
    else this.holdVocabChunks(1, Math.min(T, vocabChunkTokens) * V * 4);
  }
  vocabLogprobsBackward({ T, V }: VocabLogprobsBackwardArgs<MetaTensor>): void {
    this.holdVocabChunks(1, Math.min(T, vocabChunkTokens) * V * 4);
  }
  ppoLoss(): void {}
  gradNorm(): void {}
  adamw(): void {}
  /** The WebGPU sampling kernel's pooled scratch: a key and a weight per vocabulary entry. */
  sampleToken({ V }: SampleTokenArgs<MetaTensor>): void {
    this.sampleScratch ??= this.make(2 * BufferPool.bucket(V * 4), 'sampling scratch', 1);
  }

  /**
   * The WebGPU kernels' logits of chunks of tokens over the vocabulary, in pooled buffers kept
   * once made: one chunk's scratch (64 MiB at Qwen3's vocabulary), or every chunk of a training
   * forward that keeps its logits for the backward (8 at 512 tokens). Too large to leave out of
   * a plan. The pool hands the same buffers to every pass, so the most ever asked for is held.
   */
  private holdVocabChunks(count: number, bytes: number): void {
    const bucket = BufferPool.bucket(bytes);
    const held = this.vocabChunks;
    if (held.length >= count && held.every((t) => t.bytes >= bucket)) return;
    const size = Math.max(bucket, ...held.map((t) => t.bytes));
    const total = Math.max(count, held.length);
    for (const t of held) this.release(t);
    this.vocabChunks = Array.from({ length: total }, () => this.make(size, 'vocab logits chunk', 1));
  }

  private make(length: number, label: string, bytesPerValue = this.bytesPerValue): MetaTensor {
    const t = { length, label, bytes: length * bytesPerValue };
    this.live.add(t);
    this.liveBytes += t.bytes;
    this.peakBytes = Math.max(this.peakBytes, this.liveBytes);
    return t;
  }
}
