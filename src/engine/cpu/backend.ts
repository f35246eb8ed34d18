import type { Backend } from '../backend';
import { dequantizeRow, quantizeRows, type QuantFormat } from '../quantize';
import type * as Op from '../backend-types';
import { adamw, gradNorm } from './adamw';
import { attentionBackward, attentionForward } from './attention';
import { isQuantized, type CpuTensor, type Floats } from './floats';
import { defaultCpuKernels } from './kernels/default-kernels';
import type { CpuKernels } from './kernels/kernels';
import { matmul } from './matmul';
import { ppoLoss } from './ppo-loss';
import { rmsNormBackward, rmsNormForward } from './rmsnorm';
import { rope, ropeTable } from './rope';
import { swigluBackward, swigluForward } from './swiglu';
import { vocabLogprobsBackward, vocabLogprobsForward } from './vocab-logprobs';
import { logSoftmaxAt, sampleToken } from '../sampling';

/** An op's float arguments, but for `key`, which may be a matrix of type M. */
type WithMatrix<A, K extends keyof A, M> = Omit<A, K> & { [key in K]: M };

/**
 * The reference backend's ops: plain TypeScript loops on float arrays. Float32 normally;
 * Float64 for finite-difference gradient checks. How matrices are uploaded is the subclass's:
 * CpuBackend keeps floats, QuantizedCpuBackend packs them (M: what a matrix may be). Only the ops that read weights when
 * scoring take a quantized matrix (the forward projections, the embedding, the vocabulary
 * log-probs); their argument types say so.
 */
abstract class CpuOps<M extends CpuTensor> {
  abstract readonly name: string;
  liveBytes = 0;
  readonly decodeStepsPerRead = 1;
  private readonly ropeTables = new Map<string, Float64Array>();

  constructor(
    protected readonly Array: Float32ArrayConstructor | Float64ArrayConstructor,
    /** The inner loops: WebAssembly SIMD by default; the TypeScript ones give the same numbers. */
    readonly kernels: CpuKernels = defaultCpuKernels(),
  ) {}

  upload(data: Float32Array, _label?: string): Floats {
    return this.counted(this.Array.from(data));
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
  release(t: Floats | M): void {
    // The garbage collector frees it.
    this.liveBytes -= isQuantized(t) ? t.words.byteLength + t.scales.byteLength : t.byteLength;
  }
  async flush(): Promise<void> {}

  protected counted(t: Floats): Floats {
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
  embedding({ out, ids, table, T, C, V }: WithMatrix<Op.EmbeddingArgs<Floats>, 'table', M>): void {
    for (let t = 0; t < T; t++) {
      const id = ids[t];
      if (!(id >= 0 && id < V))
        throw new RangeError(`token id ${id} at position ${t} is outside the vocabulary of ${V}`);
      if (isQuantized(table)) dequantizeRow(table, id, out.subarray(t * C, (t + 1) * C));
      else out.set(table.subarray(id * C, (id + 1) * C), t * C);
    }
  }
  rmsNormForward(args: Op.RmsNormForwardArgs<Floats>): void {
    rmsNormForward(args);
  }
  rmsNormBackward(args: Op.RmsNormBackwardArgs<Floats>): void {
    rmsNormBackward(args);
  }
  matmul(args: WithMatrix<Op.MatmulArgs<Floats>, 'b', M>): void {
    matmul(args, this.kernels);
  }
  rope(args: Op.RopeArgs<Floats>): void {
    rope(args, this.ropeTable(args.D, args.theta, args.offset + args.T));
  }
  attentionForward(args: Op.AttentionForwardArgs<Floats>): void {
    attentionForward(args, this.kernels);
  }
  attentionBackward(args: Op.AttentionBackwardArgs<Floats>): void {
    attentionBackward(args, this.kernels);
  }
  swigluForward(args: Op.SwigluForwardArgs<Floats>): void {
    swigluForward(args);
  }
  swigluBackward(args: Op.SwigluBackwardArgs<Floats>): void {
    swigluBackward(args);
  }
  vocabLogprobsForward(args: WithMatrix<Op.VocabLogprobsForwardArgs<Floats>, 'weight', M>): void {
    vocabLogprobsForward(args, this.kernels);
  }
  vocabLogprobsBackward(args: Op.VocabLogprobsBackwardArgs<Floats>): void {
    vocabLogprobsBackward(args, this.kernels);
  }
  ppoLoss(args: Op.PpoLossArgs<Floats>): void {
    ppoLoss(args);
  }
  gradNorm(args: Op.GradNormArgs<Floats>): void {
    gradNorm(args);
  }
  adamw(args: Op.AdamWArgs<Floats>): void {
    adamw(args);
  }
  /** The reference sampler itself (../sampling), so both backends share the decode loop. */
  sampleToken({ out, next, logits, V, temperature, topK, topP, uniform }: Op.SampleTokenArgs<Floats>): void {
    const row = logits.subarray(0, V);
    const id = sampleToken(row, { temperature, topK, topP }, () => uniform);
    out[0] = id;
    out[1] = logSoftmaxAt(row, id);
    if (next !== undefined) next[0] = id;
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

/** The CPU backend: every tensor a float array. */
export class CpuBackend extends CpuOps<Floats> implements Backend<Floats> {
  readonly name: string;

  constructor(Array: Float32ArrayConstructor | Float64ArrayConstructor = Float32Array, kernels?: CpuKernels) {
    super(Array, kernels);
    this.name = Array === Float64Array ? 'cpu (float64)' : 'cpu';
  }

  uploadRows(data: Float32Array, _rows: number, label: string): Floats {
    // The caller gave `data` up (Backend.uploadRows): keep it, so a checkpoint is not held twice while it loads.
    return this.Array === Float32Array ? this.counted(data) : this.upload(data, label);
  }
}

/** The CPU backend of a model that only scores: its matrices quantized as they are uploaded. */
export class QuantizedCpuBackend extends CpuOps<CpuTensor> implements Backend<CpuTensor> {
  readonly name: string;

  constructor(
    readonly format: QuantFormat,
    /** int4's values per scale. */
    readonly groupSize = 32,
  ) {
    super(Float32Array);
    this.name = `cpu (${format === 'int4' ? `int4, groups of ${groupSize}` : format})`;
  }

  uploadRows(data: Float32Array, rows: number, label: string): CpuTensor {
    const quantized = quantizeRows(data, rows, this.format, this.groupSize, label);
    this.liveBytes += quantized.words.byteLength + quantized.scales.byteLength;
    return quantized;
  }
}
