import type { Backend } from '../backend';
import type * as Op from '../backend-types';
import type { WeightFormat, WeightStorage } from '../backend-types';
import { isExactBf16 } from '../half-floats';
import { defaultGroupSize, matrixBytes } from '../weight-format';
import {
  bufferOf,
  GpuContext,
  ownedBuffers,
  rowShards,
  subBinding,
  tensorUsage,
  type Binding,
  type SplitBinding,
} from './context';
import { defaultWeightFormat, type EngineDevice } from './device';
import { encodeAdamW, encodeGradNorm } from './ops/adamw';
import { encodePpoLoss } from './ops/ppo-loss';
import { encodeAttentionBackward, encodeAttentionForward } from './ops/attention';
import { encodeDecodeAttention } from './ops/decode-attention';
import { encodeEmbedding, encodeResidualAdd } from './ops/embedding';
import { encodeMatmul } from './ops/matmul';
import { encodeRmsNormBackward, encodeRmsNormForward } from './ops/rmsnorm';
import { encodeRope, ropeTable } from './ops/rope';
import { encodeSampleToken } from './ops/sample-token';
import { encodeSwigluBackward, encodeSwigluForward } from './ops/swiglu';
import {
  defaultKeptLogitsBytes,
  encodeVocabLogprobs,
  encodeVocabLogprobsBackward,
  keptLogitsChunks,
  keptLogitsValues,
  vocabChunkTokens,
} from './ops/vocab-logprobs';

/**
 * The engine's ops as WGSL kernels. Ops are recorded into one command encoder and submitted
 * when values are read (or on flush), so a training step runs without read-backs.
 * Tensors are buffers or 256-byte-aligned ranges of them.
 */
export class WebGpuBackend implements Backend<Binding> {
  readonly name: string;
  readonly ctx: GpuContext;
  private encoder: GPUCommandEncoder | undefined;
  private readonly ropeTables = new Map<string, { buffer: GPUBuffer; positions: number }>();
  /** Bytes of the tensors made and not released. */
  private tensorBytes = 0;
  /** Buffers released while recorded work may still use them: destroyed after the next submit. */
  private readonly released: GPUBuffer[] = [];

  /** A matrix larger than this is split by rows over buffers (uploadRows). */
  readonly maxBindingBytes: number;
  /** How uploadRows stores matrices (the model's weights): f16 halves their memory; int8/int4 are for scoring only. */
  readonly weights: WeightStorage;
  /**
   * On a GPU, 8 decode steps per submit and read: one round trip (submit, fence, map) per 8
   * tokens. A CPU adapter (SwiftShader) is busy for the whole of every step, and a step past a
   * stop token is pure cost there: 1.
   */
  readonly decodeStepsPerRead: number;
  /** The most bytes of a training forward's logits kept for its backward (keepLogits); 0 recomputes them always. */
  readonly keptLogitsBytes: number;
  /** The logits the last vocabulary forward kept: a pooled buffer per chunk, for the backward over the same hidden. */
  private keptLogits: { hidden: Binding; T: number; chunks: GPUBuffer[] } | undefined;

  constructor(
    device: EngineDevice,
    options: {
      maxBindingBytes?: number;
      weights?: WeightFormat;
      groupSize?: number;
      decodeStepsPerRead?: number;
      keptLogitsBytes?: number;
    } = {},
  ) {
    this.ctx = new GpuContext(device);
    this.name = `webgpu (${device.adapterName})`;
    const { maxStorageBufferBindingSize, maxBufferSize } = device.limits;
    this.maxBindingBytes = options.maxBindingBytes ?? Math.min(maxStorageBufferBindingSize, maxBufferSize);
    const format = options.weights ?? defaultWeightFormat(device);
    this.weights = format === 'int4' ? { format, groupSize: options.groupSize ?? defaultGroupSize } : { format };
    const steps = options.decodeStepsPerRead ?? (device.isCpuAdapter ? 1 : 8);
    if (!Number.isInteger(steps) || steps < 1)
      throw new Error(`webgpu: decodeStepsPerRead must be a positive integer, got ${steps}`);
    this.decodeStepsPerRead = steps;
    this.keptLogitsBytes = options.keptLogitsBytes ?? defaultKeptLogitsBytes;
  }

  /** Everything the engine holds on the device: tensors, the ops' pooled scratch, RoPE tables. */
  get liveBytes(): number {
    let ropeBytes = 0;
    for (const table of this.ropeTables.values()) ropeBytes += table.buffer.size;
    return this.tensorBytes + this.ctx.pool.bytes + ropeBytes;
  }

  private get enc(): GPUCommandEncoder {
    this.encoder ??= this.ctx.device.createCommandEncoder({ label: 'engine' });
    return this.encoder;
  }

  /** Submits what was recorded so far without waiting, so a following queue write lands after it. */
  private submitPending(): void {
    if (this.encoder === undefined) return;
    this.ctx.engine.check();
    this.ctx.submitNow(this.encoder);
    this.encoder = undefined;
  }

  upload(data: Float32Array, label: string): Binding {
    return this.counted(this.ctx.upload(data, label));
  }
  zeros(length: number, label: string): Binding {
    return this.counted(this.ctx.zeros(length, label));
  }
  uploadRows(data: Float32Array, rows: number, label: string): Binding {
    const cols = data.length / rows;
    // bf16 keeps a matrix exact or leaves it f32, so a matrix too large for a binding in f32 is
    // sized by what it becomes (only then is it read an extra time to know).
    const leftF32 = this.weights.format === 'bf16' && data.byteLength > this.maxBindingBytes && !isExactBf16(data);
    const storage = leftF32 ? { format: 'f32' as const } : this.weights;
    const rowBytes = matrixBytes(storage, cols, cols);
    const shardRows = Math.floor(this.maxBindingBytes / rowBytes / 64) * 64;
    if (rows * rowBytes <= this.maxBindingBytes || shardRows >= rows) return this.uploadWeight(data, rows, label);
    if (shardRows === 0) throw new Error(`webgpu: a row of ${label} (${rowBytes} bytes) is wider than a binding`);
    const shards: SplitBinding['shards'] = [];
    for (let r0 = 0; r0 < rows; r0 += shardRows) {
      const n = Math.min(shardRows, rows - r0);
      shards.push({
        weight: this.uploadWeight(data.subarray(r0 * cols, (r0 + n) * cols), n, `${label} rows ${r0}+`),
        rows: n,
      });
    }
    return { shards, cols, label };
  }
  /**
   * One buffer of a weight in the backend's format. An f16 one stays f32 when a value is beyond
   * f16's range, a bf16 one when a value is not exactly a bf16 (a checkpoint saved in f32).
   */
  private uploadWeight(data: Float32Array, rows: number, label: string): SplitBinding['shards'][number]['weight'] {
    const { format, groupSize = defaultGroupSize } = this.weights;
    if (format === 'int8' || format === 'int4') {
      const quant = this.ctx.uploadQuant(data, rows, format, groupSize, label);
      this.counted(quant.quant);
      this.counted(quant.scales);
      return quant;
    }
    const half =
      format === 'f16'
        ? this.ctx.uploadHalf(data, label)
        : format === 'bf16'
          ? this.ctx.uploadBf16(data, label)
          : undefined;
    if (half === undefined) {
      if (data.byteLength > this.maxBindingBytes)
        throw new Error(`webgpu: ${label} has values beyond f16's range and is too large for one binding in f32`);
      return this.counted(this.ctx.upload(data, label));
    }
    this.counted(half.half);
    return half;
  }
  uploadIds(ids: readonly number[], label: string): Binding {
    return this.counted(this.ctx.upload(Uint32Array.from(ids), label));
  }
  write(t: Binding, data: Float32Array, offset = 0): void {
    this.submitPending();
    const { buffer, offset: base } = bufferOf(t);
    this.ctx.device.queue.writeBuffer(buffer, base + offset * 4, data.buffer, data.byteOffset, data.byteLength);
  }
  writeIds(t: Binding, ids: readonly number[]): void {
    this.submitPending();
    const { buffer, offset } = bufferOf(t);
    const data = Uint32Array.from(ids);
    this.ctx.device.queue.writeBuffer(buffer, offset, data.buffer, 0, data.byteLength);
  }
  async read(t: Binding, length: number, offset = 0): Promise<Float32Array> {
    // The copy goes after the recorded work, in the same submit: one submit per read.
    const encoder = this.encoder;
    this.encoder = undefined;
    const { buffer, offset: base } = bufferOf(t);
    const values = await this.ctx.read(buffer, length, base / 4 + offset, encoder);
    for (const released of this.released.splice(0)) this.ctx.destroyBuffer(released);
    return values;
  }
  view(t: Binding, offset: number, length: number): Binding {
    if (offset % 64 !== 0) throw new Error(`webgpu: a view must start on a multiple of 64 values, got ${offset}`);
    return subBinding(t, offset * 4, Math.max(length, 1) * 4);
  }
  release(t: Binding): void {
    for (const buffer of ownedBuffers(t)) {
      this.tensorBytes -= buffer.size;
      this.released.push(buffer);
    }
  }
  private counted(buffer: GPUBuffer): GPUBuffer {
    this.tensorBytes += buffer.size;
    return buffer;
  }

  async flush(): Promise<void> {
    if (this.encoder !== undefined) {
      const encoder = this.encoder;
      this.encoder = undefined;
      await this.ctx.submit(encoder);
    }
    for (const buffer of this.released.splice(0)) this.ctx.destroyBuffer(buffer);
  }

  fill({ x, value, length }: Op.FillArgs<Binding>): void {
    const { buffer, offset } = bufferOf(x);
    if (value === 0) this.enc.clearBuffer(buffer, offset, length * 4);
    else this.write(x, new Float32Array(length).fill(value));
  }
  copy({ dst, src, dstOffset, srcOffset, length }: Op.CopyArgs<Binding>): void {
    const d = bufferOf(dst);
    const s = bufferOf(src);
    this.enc.copyBufferToBuffer(s.buffer, s.offset + srcOffset * 4, d.buffer, d.offset + dstOffset * 4, length * 4);
  }
  add(args: Op.AddArgs<Binding>): void {
    encodeResidualAdd(this.ctx, this.enc, args);
  }
  embedding({ out, ids, table, T, C, V }: Op.EmbeddingArgs<Binding>): void {
    encodeEmbedding(this.ctx, this.enc, { out, ids, shards: rowShards(table, V), T, C });
  }
  rmsNormForward(args: Op.RmsNormForwardArgs<Binding>): void {
    encodeRmsNormForward(this.ctx, this.enc, args);
  }
  rmsNormBackward(args: Op.RmsNormBackwardArgs<Binding>): void {
    encodeRmsNormBackward(this.ctx, this.enc, args);
  }
  matmul(args: Op.MatmulArgs<Binding>): void {
    const { b } = args;
    if (!('shards' in b)) {
      encodeMatmul(this.ctx, this.enc, args);
      return;
    }
    // A split weight (the LM head) times one row: each shard writes its columns of out.
    if (args.M !== 1 || args.transB !== true || args.lora !== undefined || args.accumulate === true)
      throw new Error(
        `webgpu: ${b.label} is split over buffers; only one row times it (the decode logits) is supported`,
      );
    let n0 = 0;
    for (const shard of b.shards) {
      const out = subBinding(args.out, n0 * 4, shard.rows * 4);
      encodeMatmul(this.ctx, this.enc, { ...args, out, b: shard.weight, N: shard.rows });
      n0 += shard.rows;
    }
  }
  rope({ x, T, heads, D, offset, theta, direction }: Op.RopeArgs<Binding>): void {
    const table = this.ropeTable(D, theta, offset + T);
    encodeRope(this.ctx, this.enc, { x, table, T, heads, D, offset }, direction === 1 ? 'forward' : 'backward');
  }
  attentionForward(args: Op.AttentionForwardArgs<Binding>): void {
    const { out, q, k, v, T, P, Hq, Hkv, D } = args;
    // One new token over a cache: split the keys across threads (no lse needed when decoding).
    if (T === 1 && P > 0) encodeDecodeAttention(this.ctx, this.enc, { out, q, k, v, L: P + 1, Hq, Hkv, D });
    else encodeAttentionForward(this.ctx, this.enc, args);
  }
  attentionBackward(args: Op.AttentionBackwardArgs<Binding>): void {
    encodeAttentionBackward(this.ctx, this.enc, args);
  }
  swigluForward(args: Op.SwigluForwardArgs<Binding>): void {
    encodeSwigluForward(this.ctx, this.enc, args);
  }
  swigluBackward(args: Op.SwigluBackwardArgs<Binding>): void {
    encodeSwigluBackward(this.ctx, this.enc, args);
  }
  vocabLogprobsForward(args: Op.VocabLogprobsForwardArgs<Binding>): void {
    const { logprobs, lse, hidden, weight, targets, T, C, V } = args;
    this.dropKeptLogits();
    const chunks = args.keepLogits === true ? keptLogitsChunks(T, V, this.keptLogitsBytes) : 0;
    if (chunks > 0) {
      const bytes = keptLogitsValues(vocabChunkTokens, V) * 4;
      const buffers = Array.from({ length: chunks }, (_, c) =>
        this.ctx.pool.acquire(bytes, tensorUsage, `kept logits ${c}`),
      );
      this.keptLogits = { hidden, T, chunks: buffers };
    }
    const shards = rowShards(weight, V);
    const kept = this.keptLogits?.chunks;
    encodeVocabLogprobs(this.ctx, this.enc, {
      logprobs,
      lse,
      hidden,
      targets,
      shards,
      T,
      C,
      chunkTokens: vocabChunkTokens,
      kept,
    });
  }
  vocabLogprobsBackward(args: Op.VocabLogprobsBackwardArgs<Binding>): void {
    const { dhidden, dlogprobs, hidden, weight, targets, lse, T, C, V } = args;
    const shards = rowShards(weight, V);
    const held = this.keptLogits;
    const kept = held !== undefined && held.hidden === hidden && held.T === T ? held.chunks : undefined;
    encodeVocabLogprobsBackward(this.ctx, this.enc, {
      dhidden,
      dlogprobs,
      hidden,
      targets,
      lse,
      shards,
      T,
      C,
      chunkTokens: vocabChunkTokens,
      kept,
    });
    // The backward turned them into their gradient: no later backward may take them.
    this.dropKeptLogits();
  }
  /** Hands the kept logits back to the pool, once the work recorded so far is submitted. */
  private dropKeptLogits(): void {
    for (const buffer of this.keptLogits?.chunks ?? []) this.ctx.pool.releaseAfterSubmit(buffer);
    this.keptLogits = undefined;
  }
  ppoLoss(args: Op.PpoLossArgs<Binding>): void {
    encodePpoLoss(this.ctx, this.enc, args);
  }
  gradNorm(args: Op.GradNormArgs<Binding>): void {
    encodeGradNorm(this.ctx, this.enc, args);
  }
  adamw(args: Op.AdamWArgs<Binding>): void {
    encodeAdamW(this.ctx, this.enc, args);
  }
  sampleToken(args: Op.SampleTokenArgs<Binding>): void {
    encodeSampleToken(this.ctx, this.enc, args);
  }

  /** The cos/sin table for (D, θ) covering `positions`, grown (doubling) when a longer sequence arrives. */
  private ropeTable(D: number, theta: number, positions: number): GPUBuffer {
    const key = `${D}:${theta}`;
    const current = this.ropeTables.get(key);
    if (current !== undefined && current.positions >= positions) return current.buffer;
    const size = Math.max(positions, 2 * (current?.positions ?? 0), 256);
    const buffer = this.ctx.device.createBuffer({ label: `rope table D${D}`, size: size * D * 4, usage: tensorUsage });
    const data = ropeTable(D, theta, size);
    this.ctx.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    if (current !== undefined) {
      this.submitPending(); // the old table may still be used by recorded work
      this.released.push(current.buffer);
    }
    this.ropeTables.set(key, { buffer, positions: size });
    return buffer;
  }
}
