import type { Backend, MatmulSpec } from '../backend';
import { adamw, gradNorm, type AdamWSettings } from './adamw';
import { attentionBackward, attentionForward, type AttentionDims } from './attention';
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
  private readonly ropeTables = new Map<string, Float64Array>();

  constructor(private readonly Array: Float32ArrayConstructor | Float64ArrayConstructor = Float32Array) {
    this.name = Array === Float64Array ? 'cpu (float64)' : 'cpu';
  }

  upload(data: Float32Array, _label?: string): Floats {
    return this.Array.from(data);
  }
  zeros(length: number, _label?: string): Floats {
    return new this.Array(length);
  }
  uploadIds(ids: readonly number[], _label?: string): Floats {
    return this.Array.from(ids);
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
  release(): void {}
  async flush(): Promise<void> {}

  fill(x: Floats, value: number, length: number): void {
    x.fill(value, 0, length);
  }
  copy(dst: Floats, dstOffset: number, src: Floats, srcOffset: number, length: number): void {
    dst.set(src.subarray(srcOffset, srcOffset + length), dstOffset);
  }
  add(x: Floats, delta: Floats, n: number): void {
    for (let i = 0; i < n; i++) x[i] += delta[i];
  }
  embedding(out: Floats, ids: Floats, table: Floats, T: number, C: number, V: number): void {
    for (let t = 0; t < T; t++) {
      const id = ids[t];
      if (!(id >= 0 && id < V))
        throw new RangeError(`token id ${id} at position ${t} is outside the vocabulary of ${V}`);
      out.set(table.subarray(id * C, (id + 1) * C), t * C);
    }
  }
  rmsNormForward(out: Floats, rstd: Floats, inp: Floats, weight: Floats, rows: number, C: number, eps: number): void {
    rmsNormForward(out, rstd, inp, weight, rows, C, eps);
  }
  rmsNormBackward(
    dinp: Floats,
    dout: Floats,
    inp: Floats,
    weight: Floats,
    rstd: Floats,
    rows: number,
    C: number,
    accumulate: boolean,
  ): void {
    rmsNormBackward(dinp, dout, inp, weight, rstd, rows, C, accumulate);
  }
  matmul(out: Floats, a: Floats, b: Floats, spec: MatmulSpec<Floats>): void {
    matmul(out, a, b, spec.M, spec.N, spec.K, spec);
  }
  rope(x: Floats, T: number, heads: number, D: number, offset: number, theta: number, direction: 1 | -1): void {
    rope(x, this.ropeTable(D, theta, offset + T), T, heads, D, offset, direction);
  }
  attentionForward(out: Floats, lse: Floats, q: Floats, k: Floats, v: Floats, dims: AttentionDims): void {
    attentionForward(out, lse, q, k, v, dims);
  }
  attentionBackward(
    dq: Floats,
    dk: Floats,
    dv: Floats,
    dout: Floats,
    q: Floats,
    k: Floats,
    v: Floats,
    out: Floats,
    lse: Floats,
    dims: AttentionDims,
  ): void {
    attentionBackward(dq, dk, dv, dout, q, k, v, out, lse, dims);
  }
  swigluForward(out: Floats, gate: Floats, up: Floats, n: number): void {
    swigluForward(out, gate, up, n);
  }
  swigluBackward(dgate: Floats, dup: Floats, dout: Floats, gate: Floats, up: Floats, n: number): void {
    swigluBackward(dgate, dup, dout, gate, up, n);
  }
  vocabLogprobsForward(
    logprobs: Floats,
    lse: Floats,
    hidden: Floats,
    weight: Floats,
    targets: Floats,
    T: number,
    C: number,
    V: number,
  ): void {
    vocabLogprobsForward(logprobs, lse, hidden, weight, targets, T, C, V);
  }
  vocabLogprobsBackward(
    dhidden: Floats,
    dlogprobs: Floats,
    hidden: Floats,
    weight: Floats,
    targets: Floats,
    lse: Floats,
    T: number,
    C: number,
    V: number,
  ): void {
    vocabLogprobsBackward(dhidden, dlogprobs, hidden, weight, targets, lse, T, C, V, true);
  }
  gradNorm(norm: Floats, grads: Floats, n: number): void {
    norm[0] = gradNorm(grads, n);
  }
  adamw(
    params: Floats,
    grads: Floats,
    m: Floats,
    v: Floats,
    norm: Floats,
    n: number,
    step: number,
    settings: AdamWSettings,
  ): void {
    adamw(params, grads, m, v, norm[0], n, step, settings);
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
