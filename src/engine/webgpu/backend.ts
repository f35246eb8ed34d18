import type { AdamWSettings, AttentionDims, Backend, MatmulSpec } from '../backend';
import { bufferOf, GpuContext, subBinding, tensorUsage, type Binding } from './context';
import type { EngineDevice } from './device';
import { encodeAdamW, encodeGradNorm } from './ops/adamw';
import { encodeAttentionBackward, encodeAttentionForward } from './ops/attention';
import { encodeDecodeAttention } from './ops/decode-attention';
import { encodeEmbedding, encodeResidualAdd } from './ops/embedding';
import { encodeMatmul } from './ops/matmul';
import { encodeRmsNormBackward, encodeRmsNormForward } from './ops/rmsnorm';
import { encodeRope, ropeTable } from './ops/rope';
import { encodeSwigluBackward, encodeSwigluForward } from './ops/swiglu';
import { encodeVocabLogprobs, encodeVocabLogprobsBackward } from './ops/vocab-logprobs';

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
  /** Buffers released while recorded work may still use them: destroyed after the next submit. */
  private readonly released: GPUBuffer[] = [];

  constructor(device: EngineDevice) {
    this.ctx = new GpuContext(device);
    this.name = `webgpu (${device.adapterName})`;
  }

  private get enc(): GPUCommandEncoder {
    this.encoder ??= this.ctx.device.createCommandEncoder({ label: 'engine' });
    return this.encoder;
  }

  /** Submits what was recorded so far without waiting, so a following queue write lands after it. */
  private submitPending(): void {
    if (this.encoder === undefined) return;
    this.ctx.engine.check();
    this.ctx.device.queue.submit([this.encoder.finish()]);
    this.encoder = undefined;
  }

  upload(data: Float32Array, label: string): Binding {
    return this.ctx.upload(data, label);
  }
  zeros(length: number, label: string): Binding {
    return this.ctx.zeros(length, label);
  }
  uploadIds(ids: readonly number[], label: string): Binding {
    return this.ctx.upload(Uint32Array.from(ids), label);
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
    await this.flush();
    const { buffer, offset: base } = bufferOf(t);
    return this.ctx.read(buffer, length, base / 4 + offset);
  }
  view(t: Binding, offset: number, length: number): Binding {
    if (offset % 64 !== 0) throw new Error(`webgpu: a view must start on a multiple of 64 values, got ${offset}`);
    return subBinding(t, offset * 4, Math.max(length, 1) * 4);
  }
  release(t: Binding): void {
    if (!('buffer' in t)) this.released.push(t);
  }
  async flush(): Promise<void> {
    if (this.encoder !== undefined) {
      const encoder = this.encoder;
      this.encoder = undefined;
      await this.ctx.submit(encoder);
    }
    for (const buffer of this.released.splice(0)) buffer.destroy();
  }

  fill(x: Binding, value: number, length: number): void {
    const { buffer, offset } = bufferOf(x);
    if (value === 0) this.enc.clearBuffer(buffer, offset, length * 4);
    else this.write(x, new Float32Array(length).fill(value));
  }
  copy(dst: Binding, dstOffset: number, src: Binding, srcOffset: number, length: number): void {
    const d = bufferOf(dst);
    const s = bufferOf(src);
    this.enc.copyBufferToBuffer(s.buffer, s.offset + srcOffset * 4, d.buffer, d.offset + dstOffset * 4, length * 4);
  }
  add(x: Binding, delta: Binding, n: number): void {
    encodeResidualAdd(this.ctx, this.enc, { x, delta, n });
  }
  embedding(out: Binding, ids: Binding, table: Binding, T: number, C: number, V: number): void {
    encodeEmbedding(this.ctx, this.enc, { out, ids, shards: [{ weight: table, rows: V }], T, C });
  }
  rmsNormForward(
    out: Binding,
    rstd: Binding,
    inp: Binding,
    weight: Binding,
    rows: number,
    C: number,
    eps: number,
  ): void {
    encodeRmsNormForward(this.ctx, this.enc, { out, rstd, inp, weight, rows, C, eps });
  }
  rmsNormBackward(
    dinp: Binding,
    dout: Binding,
    inp: Binding,
    weight: Binding,
    rstd: Binding,
    rows: number,
    C: number,
    accumulate: boolean,
  ): void {
    encodeRmsNormBackward(this.ctx, this.enc, { dinp, dout, inp, weight, rstd, rows, C, accumulate });
  }
  matmul(out: Binding, a: Binding, b: Binding, spec: MatmulSpec<Binding>): void {
    encodeMatmul(this.ctx, this.enc, { out, a, b, ...spec });
  }
  rope(x: Binding, T: number, heads: number, D: number, offset: number, theta: number, direction: 1 | -1): void {
    const table = this.ropeTable(D, theta, offset + T);
    encodeRope(this.ctx, this.enc, { x, table, T, heads, D, offset }, direction === 1 ? 'forward' : 'backward');
  }
  attentionForward(out: Binding, lse: Binding, q: Binding, k: Binding, v: Binding, dims: AttentionDims): void {
    // One new token over a cache: split the keys across threads (no lse needed when decoding).
    if (dims.T === 1 && dims.P > 0)
      encodeDecodeAttention(this.ctx, this.enc, { out, q, k, v, L: dims.P + 1, Hq: dims.Hq, Hkv: dims.Hkv, D: dims.D });
    else encodeAttentionForward(this.ctx, this.enc, { ...dims, out, lse, q, k, v });
  }
  attentionBackward(
    dq: Binding,
    dk: Binding,
    dv: Binding,
    dout: Binding,
    q: Binding,
    k: Binding,
    v: Binding,
    out: Binding,
    lse: Binding,
    dims: AttentionDims,
  ): void {
    encodeAttentionBackward(this.ctx, this.enc, { ...dims, dq, dk, dv, dout, q, k, v, out, lse });
  }
  swigluForward(out: Binding, gate: Binding, up: Binding, n: number): void {
    encodeSwigluForward(this.ctx, this.enc, { out, gate, up, n });
  }
  swigluBackward(dgate: Binding, dup: Binding, dout: Binding, gate: Binding, up: Binding, n: number): void {
    encodeSwigluBackward(this.ctx, this.enc, { dgate, dup, dout, gate, up, n });
  }
  vocabLogprobsForward(
    logprobs: Binding,
    lse: Binding,
    hidden: Binding,
    weight: Binding,
    targets: Binding,
    T: number,
    C: number,
    V: number,
  ): void {
    encodeVocabLogprobs(this.ctx, this.enc, {
      logprobs,
      lse,
      hidden,
      targets,
      shards: [{ weight, rows: V }],
      T,
      C,
      chunkTokens: 64,
    });
  }
  vocabLogprobsBackward(
    dhidden: Binding,
    dlogprobs: Binding,
    hidden: Binding,
    weight: Binding,
    targets: Binding,
    lse: Binding,
    T: number,
    C: number,
    V: number,
  ): void {
    encodeVocabLogprobsBackward(this.ctx, this.enc, {
      dhidden,
      dlogprobs,
      hidden,
      targets,
      lse,
      shards: [{ weight, rows: V }],
      T,
      C,
      chunkTokens: 64,
    });
  }
  gradNorm(norm: Binding, grads: Binding, n: number): void {
    encodeGradNorm(this.ctx, this.enc, { norm, grads, n });
  }
  adamw(
    params: Binding,
    grads: Binding,
    m: Binding,
    v: Binding,
    norm: Binding,
    n: number,
    step: number,
    settings: AdamWSettings,
  ): void {
    encodeAdamW(this.ctx, this.enc, { params, grads, m, v, norm, n, step, settings });
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
    if (current !== undefined) this.submitPending(); // the old table may still be used by recorded work
    this.ropeTables.set(key, { buffer, positions: size });
    return buffer;
  }
}
