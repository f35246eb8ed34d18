import { exactBf16, toHalves } from '../half-floats';
import { quantizeRows, type QuantFormat } from '../quantize';
import { BufferPool } from './buffers';
import type { EngineDevice } from './device';
import { ProgramCache } from './programs';

/** Usage of every tensor buffer: read and written by kernels, uploaded and read back. */
export const tensorUsage = 0x0080 | 0x0004 | 0x0008; // STORAGE | COPY_SRC | COPY_DST
const uniformUsage = 0x0040 | 0x0008; // UNIFORM | COPY_DST
const readbackUsage = 0x0001 | 0x0008; // MAP_READ | COPY_DST

/** A whole buffer, or a range of one (offsets must be multiples of 256 bytes). */
export type Binding = GPUBuffer | BufferRange | SplitBinding | HalfBinding | QuantBinding;

export interface BufferRange {
  buffer: GPUBuffer;
  offset: number;
  size: number;
}

/**
 * A frozen weight stored in 16 bits a value, two values to a u32 word (the even one in the
 * low half): f16, read with `unpack2x16float`, or bf16, the upper half of an f32, read by a
 * shift. Both are core WGSL: no `shader-f16` is needed. Only the ops that read weights take
 * one (the matmul's b, the embedding table); any other names it and stops.
 */
export interface HalfBinding {
  half: GPUBuffer;
  format: 'f16' | 'bf16';
  label: string;
}

/**
 * A frozen weight quantized by rows (../quantize): packed words and their scales, read by
 * the ops that read weights when scoring (the matmul's b as y = x·Wᵀ, the embedding gather).
 */
export interface QuantBinding {
  quant: GPUBuffer; //  u32 words (rows, cols / values per word)
  scales: GPUBuffer; // f32 (rows, cols / groupSize)
  format: QuantFormat;
  groupSize: number;
  label: string;
}

/**
 * A matrix (rows, cols) too large for one storage binding, split by rows over several buffers
 * (each a multiple of 64 rows): Qwen3's embedding and LM head, 151936 rows. Only the ops that
 * read a vocabulary-sized matrix (embedding, vocabulary log-probs, the decode logits) take one.
 */
export interface SplitBinding {
  shards: { weight: GPUBuffer | HalfBinding | QuantBinding; rows: number }[];
  cols: number;
  label: string;
}

export function isHalf(b: Binding): b is HalfBinding {
  return 'half' in b;
}

export function isQuant(b: Binding): b is QuantBinding {
  return 'quant' in b;
}

/** How a weight binding stores its values, as kernels name their variants. */
export function storageOf(b: Binding): 'f32' | HalfBinding['format'] | QuantFormat {
  return isHalf(b) ? b.format : isQuant(b) ? b.format : 'f32';
}

/** The row shards of a matrix of `rows` rows: its own, when it is split, else itself whole. */
export function rowShards(b: Binding, rows: number): { weight: Binding; rows: number }[] {
  return 'shards' in b ? b.shards : [{ weight: b, rows }];
}

/** The buffers a tensor owns (none for a view of another's). */
export function ownedBuffers(b: Binding): GPUBuffer[] {
  if ('buffer' in b) return [];
  if ('shards' in b) return b.shards.flatMap((s) => ownedBuffers(s.weight));
  if (isQuant(b)) return [b.quant, b.scales];
  return [isHalf(b) ? b.half : b];
}

function unsplit(b: Binding): GPUBuffer | BufferRange {
  if ('shards' in b)
    throw new Error(
      `webgpu: ${b.label} is split over ${b.shards.length} buffers (it is above the device's binding limit) and this op reads it whole`,
    );
  if (isHalf(b)) throw new Error(`webgpu: ${b.label} is stored as ${b.format} and this op reads f32 values`);
  if (isQuant(b)) throw new Error(`webgpu: ${b.label} is quantized (${b.format}) and this op reads f32 values`);
  return b;
}

/** The byte range [offsetBytes, offsetBytes + sizeBytes) of a binding (offset a multiple of 256 bytes). */
export function subBinding(b: Binding, offsetBytes: number, sizeBytes: number): Binding {
  const whole = unsplit(b);
  if ('buffer' in whole) return { buffer: whole.buffer, offset: whole.offset + offsetBytes, size: sizeBytes };
  return { buffer: whole, offset: offsetBytes, size: sizeBytes };
}

/** The buffer and byte offset behind a binding. */
export function bufferOf(b: Binding): BufferRange {
  const whole = unsplit(b);
  return 'buffer' in whole ? whole : { buffer: whole, offset: 0, size: whole.size };
}

/** What a binding binds: a weight's packed values (its scales are bound apart), or the buffer range. */
function resourceOf(b: Binding): GPUBufferBinding {
  if (isHalf(b)) return { buffer: b.half };
  if (isQuant(b)) return { buffer: b.quant };
  return bufferOf(b);
}

/** A uniform block: u32 and f32 fields in declaration order, each 4 bytes. */
export type UniformField = { u32: number } | { f32: number };

/**
 * What the engine asked of the GPU so far. Unlike times these are deterministic, so tests
 * assert them per decoded token and per training step, and the bench prints them.
 */
export interface GpuCounters {
  /** Compute dispatches recorded. */
  dispatches: number;
  /** Command buffers submitted to the queue. */
  submits: number;
  /** Copies mapped back to the CPU. */
  readbacks: number;
  /** Bytes those copies brought back. */
  bytesRead: number;
  /** Buffers created: tensors, and scratch the pool had to add. */
  buffers: number;
  /** Bind groups created (the others came from the cache). */
  bindGroups: number;
}

export function zeroCounters(): GpuCounters {
  return { dispatches: 0, submits: 0, readbacks: 0, bytesRead: 0, buffers: 0, bindGroups: 0 };
}

/** What happened between two snapshots of the counters. */
export function countersSince(now: GpuCounters, before: GpuCounters): GpuCounters {
  return {
    dispatches: now.dispatches - before.dispatches,
    submits: now.submits - before.submits,
    readbacks: now.readbacks - before.readbacks,
    bytesRead: now.bytesRead - before.bytesRead,
    buffers: now.buffers - before.buffers,
    bindGroups: now.bindGroups - before.bindGroups,
  };
}

/** What every op needs to record work: the device, compiled programs and pooled buffers. */
export class GpuContext {
  readonly programs: ProgramCache;
  readonly pool: BufferPool;
  /** Running totals (the pool's buffers apart); read them with `snapshot()`. */
  private readonly counters: GpuCounters = zeroCounters();
  /**
   * Bind groups by pipeline and bound ranges. Decoding binds the same buffers token after
   * token (the pool hands the same uniform buffers back), so after a token or two every
   * dispatch finds its group here. A destroyed buffer's groups go with it (`destroyBuffer`);
   * the whole cache is cleared if it still grows past `maxBindGroups`.
   */
  private readonly bindGroups = new Map<string, GPUBindGroup>();
  /** The keys of `bindGroups` that bind each buffer, by the buffer's id. */
  private readonly groupsOfBuffer = new Map<number, Set<string>>();
  private readonly ids = new WeakMap<object, number>();
  private nextId = 0;

  constructor(readonly engine: EngineDevice) {
    this.programs = new ProgramCache(engine.device);
    this.pool = new BufferPool(engine.device);
  }

  get device(): GPUDevice {
    return this.engine.device;
  }

  /** A new tensor buffer holding `data` (f32 values, or u32 token ids). */
  upload(data: Float32Array | Uint32Array, label: string): GPUBuffer {
    this.counters.buffers++;
    const buffer = this.device.createBuffer({ label, size: Math.max(16, align4(data.byteLength)), usage: tensorUsage });
    this.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    return buffer;
  }

  /** A new f16 tensor holding `data` rounded to f16, or undefined when a value is beyond f16's range. */
  uploadHalf(data: Float32Array, label: string): HalfBinding | undefined {
    const halves = toHalves(data);
    if (halves === undefined) return undefined;
    return { half: this.upload(new Uint32Array(halves.buffer), label), format: 'f16', label };
  }

  /** A new bf16 tensor holding `data`, or undefined when a value is not exactly a bf16 (nothing is rounded). */
  uploadBf16(data: Float32Array, label: string): HalfBinding | undefined {
    const halves = exactBf16(data);
    if (halves === undefined) return undefined;
    return { half: this.upload(new Uint32Array(halves.buffer), label), format: 'bf16', label };
  }

  /** A new quantized tensor holding `data` (rows, ·) quantized by rows. */
  uploadQuant(data: Float32Array, rows: number, format: QuantFormat, groupSize: number, label: string): QuantBinding {
    const q = quantizeRows(data, rows, format, groupSize, label);
    return {
      quant: this.upload(q.words, `${label} (${format})`),
      scales: this.upload(q.scales, `${label} scales`),
      format,
      groupSize: q.groupSize,
      label,
    };
  }

  /** A new zero-filled tensor buffer of `length` f32 values. */
  zeros(length: number, label: string): GPUBuffer {
    this.counters.buffers++;
    return this.device.createBuffer({ label, size: Math.max(16, length * 4), usage: tensorUsage });
  }

  /** The totals so far, buffers including those the pool created. */
  snapshot(): GpuCounters {
    return { ...this.counters, buffers: this.counters.buffers + this.pool.created };
  }

  /** Submits one command buffer, counted. */
  submitNow(encoder: GPUCommandEncoder): void {
    this.counters.submits++;
    this.device.queue.submit([encoder.finish()]);
  }

  /**
   * Copies `length` f32 values back to the CPU (waits for all submitted work). With `encoder`,
   * the copy is recorded after the work in it and both go in one submit.
   */
  async read(buffer: GPUBuffer, length: number, offset = 0, encoder?: GPUCommandEncoder): Promise<Float32Array> {
    this.engine.check();
    const bytes = length * 4;
    const staging = this.pool.acquire(bytes, readbackUsage, `read ${buffer.label}`);
    const commands = encoder ?? this.device.createCommandEncoder({ label: `read ${buffer.label}` });
    commands.copyBufferToBuffer(buffer, offset * 4, staging, 0, bytes);
    this.submitNow(commands);
    this.counters.readbacks++;
    this.counters.bytesRead += bytes;
    try {
      await staging.mapAsync(0x0001 /* GPUMapMode.READ */, 0, bytes);
    } catch (err) {
      throw await this.engine.explain(err);
    }
    const out = new Float32Array(staging.getMappedRange(0, bytes).slice(0));
    staging.unmap();
    this.pool.releaseAfterSubmit(staging);
    await this.pool.recycle();
    this.engine.check();
    return out;
  }

  /** A pooled uniform buffer with `fields`, given back to the pool after the next submit. */
  uniforms(fields: readonly UniformField[], label: string): GPUBuffer {
    const data = new ArrayBuffer(Math.max(16, align16(fields.length * 4)));
    const u32 = new Uint32Array(data);
    const f32 = new Float32Array(data);
    fields.forEach((field, i) => {
      if ('u32' in field) u32[i] = field.u32;
      else f32[i] = field.f32;
    });
    const buffer = this.pool.acquire(data.byteLength, uniformUsage, label);
    this.device.queue.writeBuffer(buffer, 0, data);
    this.pool.releaseAfterSubmit(buffer);
    return buffer;
  }

  /** Records one dispatch of `pipeline` with `bindings` bound to 0, 1, 2, … in order. */
  dispatch(
    encoder: GPUCommandEncoder,
    pipeline: GPUComputePipeline,
    bindings: readonly Binding[],
    workgroups: readonly [number, number?, number?],
  ): void {
    const resources = bindings.map(resourceOf);
    const key = [pipeline, ...resources]
      .map((r) => ('buffer' in r ? `${this.idOf(r.buffer)}@${r.offset ?? 0}+${r.size ?? ''}` : this.idOf(r)))
      .join(' ');
    let bindGroup = this.bindGroups.get(key);
    if (bindGroup === undefined) {
      if (this.bindGroups.size >= maxBindGroups) {
        this.bindGroups.clear();
        this.groupsOfBuffer.clear();
      }
      this.counters.bindGroups++;
      bindGroup = this.device.createBindGroup({
        label: pipeline.label,
        layout: pipeline.getBindGroupLayout(0),
        entries: resources.map((resource, binding) => ({ binding, resource })),
      });
      this.bindGroups.set(key, bindGroup);
      for (const r of resources) {
        if (!('buffer' in r)) continue;
        const id = this.idOf(r.buffer);
        const keys = this.groupsOfBuffer.get(id);
        if (keys === undefined) this.groupsOfBuffer.set(id, new Set([key]));
        else keys.add(key);
      }
    }
    this.counters.dispatches++;
    const pass = encoder.beginComputePass({ label: pipeline.label });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(workgroups[0], workgroups[1] ?? 1, workgroups[2] ?? 1);
    pass.end();
  }

  /** Submits recorded work and recycles the pooled buffers it used once the GPU is done. */
  async submit(encoder: GPUCommandEncoder): Promise<void> {
    this.engine.check();
    this.submitNow(encoder);
    await this.pool.recycle();
    this.engine.check();
  }

  /** Destroys `buffer` and forgets the bind groups that bind it (they could never be used again). */
  destroyBuffer(buffer: GPUBuffer): void {
    buffer.destroy();
    const id = this.ids.get(buffer);
    const keys = id === undefined ? undefined : this.groupsOfBuffer.get(id);
    if (id === undefined || keys === undefined) return;
    this.groupsOfBuffer.delete(id);
    for (const key of keys) {
      this.bindGroups.delete(key);
      // The group's other buffers still list it; drop the key there too.
      for (const other of key.split(' ')) {
        const otherId = Number.parseInt(other, 10);
        if (otherId !== id) this.groupsOfBuffer.get(otherId)?.delete(key);
      }
    }
  }

  /** Bind groups now cached (a test's window on `destroyBuffer`). */
  get cachedBindGroups(): number {
    return this.bindGroups.size;
  }

  /** A number naming an object for as long as it lives (a destroyed buffer's successor gets another). */
  private idOf(o: object): number {
    let id = this.ids.get(o);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(o, id);
    }
    return id;
  }

  destroy(): void {
    this.bindGroups.clear();
    this.groupsOfBuffer.clear();
    this.pool.destroy();
  }
}

/** Bind groups kept at most; a model's decode step binds a few hundred. */
const maxBindGroups = 8192;

function align4(n: number): number {
  return Math.ceil(n / 4) * 4;
}

function align16(n: number): number {
  return Math.ceil(n / 16) * 16;
}
