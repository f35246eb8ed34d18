/**
 * Buffer reuse. Kernels take their scratch and uniform buffers from a pool keyed by
 * (usage, size rounded up to a power of two) and give them back once the GPU has finished
 * with them, so a training step allocates nothing new after the first one.
 */
export class BufferPool {
  private readonly free = new Map<string, GPUBuffer[]>();
  private readonly inFlight: GPUBuffer[] = [];
  /** Each buffer's creation order: the free lists hand out the oldest first. */
  private readonly age = new Map<GPUBuffer, number>();
  /** Buffers created so far: a step that allocates nothing new leaves this unchanged. */
  created = 0;
  /** Bytes of the buffers created so far, all of which the pool keeps. */
  bytes = 0;

  constructor(private readonly device: GPUDevice) {}

  static bucket(size: number): number {
    return Math.max(16, 2 ** Math.ceil(Math.log2(Math.max(size, 1))));
  }

  acquire(size: number, usage: GPUBufferUsageFlags, label: string): GPUBuffer {
    const bucket = BufferPool.bucket(size);
    const key = `${usage}:${bucket}`;
    const reused = this.free.get(key)?.pop();
    if (reused !== undefined) {
      reused.label = label;
      return reused;
    }
    this.created++;
    this.bytes += bucket;
    const buffer = this.device.createBuffer({ label, size: bucket, usage });
    this.age.set(buffer, this.created);
    return buffer;
  }

  /** Returns a buffer once the work submitted so far is done (see `recycle`). */
  releaseAfterSubmit(buffer: GPUBuffer): void {
    this.inFlight.push(buffer);
  }

  /** Call after a submit: buffers released before it go back to the pool when the GPU is done. */
  async recycle(): Promise<void> {
    const done = this.inFlight.splice(0);
    if (done.length === 0) return;
    await this.device.queue.onSubmittedWorkDone();
    const touched = new Set<GPUBuffer[]>();
    for (const buffer of done) {
      const key = `${buffer.usage}:${buffer.size}`;
      let list = this.free.get(key);
      if (list === undefined) {
        list = [];
        this.free.set(key, list);
      }
      list.push(buffer);
      touched.add(list);
    }
    // Youngest first, so `pop` gives the oldest: the same work then gets the same buffers
    // every time, and the bind groups cached for it are found again.
    const age = (b: GPUBuffer) => this.age.get(b) ?? 0;
    for (const list of touched) list.sort((a, b) => age(b) - age(a));
  }

  destroy(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.free.clear();
    this.age.clear();
    this.bytes = 0;
  }
}
