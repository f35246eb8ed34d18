import type { Backend } from './backend';

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
  /** The most bytes held at once. */
  peakBytes = 0;
  private readonly live = new Set<MetaTensor>();

  constructor(private readonly bytesPerValue = 4) {}

  upload(data: Float32Array, label: string): MetaTensor {
    return this.make(data.length, label);
  }
  uploadRows(data: Float32Array, _rows: number, label: string): MetaTensor {
    return this.make(data.length, label);
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
  vocabLogprobsForward(): void {}
  vocabLogprobsBackward(): void {}
  gradNorm(): void {}
  adamw(): void {}

  private make(length: number, label: string): MetaTensor {
    const t = { length, label, bytes: length * this.bytesPerValue };
    this.live.add(t);
    this.liveBytes += t.bytes;
    this.peakBytes = Math.max(this.peakBytes, this.liveBytes);
    return t;
  }
}
