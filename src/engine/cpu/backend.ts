import type { Backend } from '../backend';
import type * as Op from '../backend-types';
import { adamw, gradNorm } from './adamw';
import { attentionBackward, attentionForward } from './attention';
import type { Floats } from './floats';
import { matmul } from './matmul';
import { rmsNormBackward, rmsNormForward } from './rmsnorm';
import { rope, ropeTable } from './rope';
import { swigluBackward, swigluForward } from './swiglu';
import { vocabLogprobsBackward, vocabLogprobsForward } from './vocab-logprobs';

/**
 * The reference backend: plain TypeScript loops on float arrays. Float32 normally;
 * Float64 for finite-difference gradient checks.
 */
export class CpuBackend implements Backend<Floats> {
  readonly name: string;
  liveBytes = 0;
  private readonly ropeTables = new Map<string, Float64Array>();

  constructor(private readonly Array: Float32ArrayConstructor | Float64ArrayConstructor = Float32Array) {
    this.name = Array === Float64Array ? 'cpu (float64)' : 'cpu';
  }

  upload(data: Float32Array, _label?: string): Floats {
    return this.counted(this.Array.from(data));
  }
  uploadRows(data: Float32Array, _rows: number, label: string): Floats {
    // The caller gave `data` up (Backend.uploadRows): keep it, so a checkpoint is not held twice while it loads.
    return this.Array === Float32Array ? this.counted(data) : this.upload(data, label);
  }
  zeros(length: number, _label?: string): Floats {
    return this.counted(new this.Array(length));
  }
  uploadIds(ids: readonly number[], _label?: string): Floats {
    return this.counted(this.Array.from(ids));
  }
  write(t: Floats, data: Float32Array, offset = 0): void {
    t.set(data, offset);
  }
  writeIds(t: Floats, ids: readonly number[]): void {
    t.set(ids);
  }
  async read(t: Floats, length: number, offset = 0): Promise<Floats> {
    return t.slice(offset, offset + length);
  }
  view(t: Floats, offset: number, length: number): Floats {
    return t.subarray(offset, offset + length);
  }
  release(t: Floats): void {
    this.liveBytes -= t.byteLength; // the garbage collector frees it
  }
  async flush(): Promise<void> {}

  private counted(t: Floats): Floats {
    this.liveBytes += t.byteLength;
    return t;
  }

  fill({ x, value, length }: Op.FillArgs<Floats>): void {
    x.fill(value, 0, length);
  }
  copy({ dst, src, dstOffset, srcOffset, length }: Op.CopyArgs<Floats>): void {
    dst.set(src.subarray(srcOffset, srcOffset + length), dstOffset);
  }
  add({ x, delta, n }: Op.AddArgs<Floats>): void {
    for (let i = 0; i < n; i++) x[i] += delta[i];
  }
  embedding({ out, ids, table, T, C, V }: Op.EmbeddingArgs<Floats>): void {
    for (let t = 0; t < T; t++) {
      const id = ids[t];
      if (!(id >= 0 && id < V))
        throw new RangeError(`token id ${id} at position ${t} is outside the vocabulary of ${V}`);
      out.set(table.subarray(id * C, (id + 1) * C), t * C);
    }
  }
  rmsNormForward(args: Op.RmsNormForwardArgs<Floats>): void {
    rmsNormForward(args);
  }
  rmsNormBackward(args: Op.RmsNormBackwardArgs<Floats>): void {
    rmsNormBackward(args);
  }
  matmul(args: Op.MatmulArgs<Floats>): void {
    matmul(args);
  }
  rope(args: Op.RopeArgs<Floats>): void {
    rope(args, this.ropeTable(args.D, args.theta, args.offset + args.T));
  }
  attentionForward(args: Op.AttentionForwardArgs<Floats>): void {
    attentionForward(args);
  }
  attentionBackward(args: Op.AttentionBackwardArgs<Floats>): void {
    attentionBackward(args);
  }
  swigluForward(args: Op.SwigluForwardArgs<Floats>): void {
    swigluForward(args);
  }
  swigluBackward(args: Op.SwigluBackwardArgs<Floats>): void {
    swigluBackward(args);
  }
  vocabLogprobsForward(args: Op.VocabLogprobsForwardArgs<Floats>): void {
    vocabLogprobsForward(args);
  }
  vocabLogprobsBackward(args: Op.VocabLogprobsBackwardArgs<Floats>): void {
    vocabLogprobsBackward(args);
  }
  gradNorm(args: Op.GradNormArgs<Floats>): void {
    gradNorm(args);
  }
  adamw(args: Op.AdamWArgs<Floats>): void {
    adamw(args);
  }

  /** cos/sin for positions below `positions`, grown as longer sequences arrive. */
  private ropeTable(D: number, theta: number, positions: number): Float64Array {
    const key = `${D}:${theta}`;
    let table = this.ropeTables.get(key);
    if (table === undefined || table.length < positions * D) {
      table = ropeTable(D, theta, Math.max(positions, (2 * (table?.length ?? 0)) / D, 256));
      this.ropeTables.set(key, table);
    }
    return table;
  }
}
