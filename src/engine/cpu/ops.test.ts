import { describe, expect, it } from 'vitest';
import type { AttentionDims } from '../backend';
import { attentionBackward, attentionForward } from './attention';
import { defaultCpuKernels } from './kernels/default-kernels';
import { matmul } from './matmul';

const kernels = defaultCpuKernels();
import { rmsNormBackward, rmsNormForward } from './rmsnorm';
import { rope, ropeTable } from './rope';
import { swigluBackward, swigluForward } from './swiglu';
import { vocabBlock, vocabLogprobsBackward, vocabLogprobsForward } from './vocab-logprobs';
import { seededRandom } from '../params';

const random = (n: number, seed: number) => {
  const r = seededRandom(seed);
  return Float64Array.from({ length: n }, () => r());
};

/**
 * Checks ∂(Σ weights · f(x))/∂x against central differences in float64, for every input.
 * `f` runs the forward; `grad` returns the analytic gradient from the backward.
 */
function checkGradient(
  x: Float64Array,
  weights: Float64Array,
  f: (x: Float64Array) => Float64Array,
  grad: Float64Array,
  tolerance = 1e-7,
): void {
  const h = 1e-6;
  for (let i = 0; i < x.length; i++) {
    const keep = x[i];
    x[i] = keep + h;
    const up = f(x).reduce((s, v, j) => s + v * weights[j], 0);
    x[i] = keep - h;
    const down = f(x).reduce((s, v, j) => s + v * weights[j], 0);
    x[i] = keep;
    const numeric = (up - down) / (2 * h);
    expect(Math.abs(grad[i] - numeric), `input ${i}: analytic ${grad[i]} numeric ${numeric}`).toBeLessThan(
      tolerance * Math.max(1, Math.abs(numeric)),
    );
  }
}

describe('CPU ops against finite differences (float64)', () => {
  it('matmul: every transpose combination equals the definition, and LoRA fuses in', () => {
    const [M, N, K, R] = [3, 5, 4, 2];
    const a = random(M * K, 1);
    const b = random(N * K, 2);
    const u = random(M * R, 3);
    const lb = random(N * R, 4);
    const reference = (
      m: number,
      n: number,
      A: (m: number, k: number) => number,
      B: (n: number, k: number) => number,
    ) => {
      let s = 0;
      for (let k = 0; k < K; k++) s += A(m, k) * B(n, k);
      return s;
    };
    const out = new Float64Array(M * N);
    matmul({ out, a, b, M, N, K, transB: true, alpha: 2, lora: { u, b: lb, R } }, kernels);
    const at = new Float64Array(K * M);
    for (let m = 0; m < M; m++) for (let k = 0; k < K; k++) at[k * M + m] = a[m * K + k];
    const bt = new Float64Array(K * N);
    for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) bt[k * N + n] = b[n * K + k];
    const out2 = new Float64Array(M * N).fill(1);
    matmul({ out: out2, a: at, b: bt, M, N, K, transA: true, accumulate: true }, kernels);
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        const base = reference(
          m,
          n,
          (i, k) => a[i * K + k],
          (j, k) => b[j * K + k],
        );
        let branch = 0;
        for (let r = 0; r < R; r++) branch += u[m * R + r] * lb[n * R + r];
        expect(out[m * N + n]).toBeCloseTo(2 * base + branch, 12);
        expect(out2[m * N + n]).toBeCloseTo(1 + base, 12);
      }
    }
  });

  it('rmsNorm backward', () => {
    const [rows, C] = [3, 5];
    const x = random(rows * C, 5);
    const w = random(C, 6);
    const dy = random(rows * C, 7);
    const f = (input: Float64Array) => {
      const out = new Float64Array(rows * C);
      rmsNormForward({ out, rstd: new Float64Array(rows), inp: input, weight: w, rows, C, eps: 1e-6 });
      return out;
    };
    const rstd = new Float64Array(rows);
    rmsNormForward({ out: new Float64Array(rows * C), rstd, inp: x, weight: w, rows, C, eps: 1e-6 });
    const dx = new Float64Array(rows * C);
    rmsNormBackward({ dinp: dx, dout: dy, inp: x, weight: w, rstd, rows, C, accumulate: false });
    checkGradient(x, dy, f, dx);
  });

  it('rope backward (and the forward is a rotation)', () => {
    const [T, heads, D] = [4, 2, 6];
    const [theta, offset] = [10000, 3];
    const table = ropeTable(D, theta, 10);
    const x = random(T * heads * D, 8);
    const dy = random(T * heads * D, 9);
    const f = (input: Float64Array) => {
      const out = Float64Array.from(input);
      rope({ x: out, T, heads, D, offset, theta, direction: 1 }, table);
      return out;
    };
    const dx = Float64Array.from(dy);
    rope({ x: dx, T, heads, D, offset, theta, direction: -1 }, table);
    checkGradient(x, dy, f, dx);
    const norm = (v: Float64Array) => Math.hypot(...v);
    expect(norm(f(x))).toBeCloseTo(norm(x), 12);
  });

  it('swiglu backward', () => {
    const n = 7;
    const gate = random(n, 10).map((v) => 3 * v);
    const up = random(n, 11);
    const dy = random(n, 12);
    const dgate = new Float64Array(n);
    const dup = new Float64Array(n);
    swigluBackward({ dgate, dup, dout: dy, gate, up, n });
    const byGate = (g: Float64Array) => {
      const out = new Float64Array(n);
      swigluForward({ out, gate: g, up, n });
      return out;
    };
    const byUp = (u: Float64Array) => {
      const out = new Float64Array(n);
      swigluForward({ out, gate, up: u, n });
      return out;
    };
    checkGradient(gate, dy, byGate, dgate);
    checkGradient(up, dy, byUp, dup);
  });

  for (const dims of [
    { T: 5, P: 0, Hq: 4, Hkv: 2, D: 3 },
    { T: 2, P: 3, Hq: 2, Hkv: 1, D: 4 },
  ] satisfies AttentionDims[]) {
    it(`causal GQA attention backward ${JSON.stringify(dims)}`, () => {
      const { T, P, Hq, Hkv, D } = dims;
      const q = random(T * Hq * D, 13);
      const k = random((P + T) * Hkv * D, 14);
      const v = random((P + T) * Hkv * D, 15);
      const dy = random(T * Hq * D, 16);
      const run = (qq: Float64Array, kk: Float64Array, vv: Float64Array) => {
        const out = new Float64Array(T * Hq * D);
        attentionForward({ ...dims, out, lse: new Float64Array(Hq * T), q: qq, k: kk, v: vv }, kernels);
        return out;
      };
      const out = new Float64Array(T * Hq * D);
      const lse = new Float64Array(Hq * T);
      attentionForward({ ...dims, out, lse, q, k, v }, kernels);
      const [dq, dk, dv] = [new Float64Array(q.length), new Float64Array(k.length), new Float64Array(v.length)];
      attentionBackward({ ...dims, dq, dk, dv, dout: dy, q, k, v, out, lse }, kernels);
      checkGradient(q, dy, (x) => run(x, k, v), dq);
      checkGradient(k, dy, (x) => run(q, x, v), dk);
      checkGradient(v, dy, (x) => run(q, k, x), dv);
    });
  }

  it('vocabulary log-softmax with the gather, and its backward', () => {
    const [T, C, V] = [3, 4, 9];
    const hidden = random(T * C, 17);
    const weight = random(V * C, 18);
    const targets = Float64Array.of(2, 8, 0);
    const g = random(T, 19);
    const f = (h: Float64Array) => {
      const lp = new Float64Array(T);
      vocabLogprobsForward({ logprobs: lp, lse: new Float64Array(T), hidden: h, weight, targets, T, C, V }, kernels);
      return lp;
    };
    const lse = new Float64Array(T);
    const lp = new Float64Array(T);
    vocabLogprobsForward({ logprobs: lp, lse, hidden, weight, targets, T, C, V }, kernels);
    for (const x of lp) expect(x).toBeLessThan(0);
    const dh = new Float64Array(T * C);
    vocabLogprobsBackward({ dhidden: dh, dlogprobs: g, hidden, weight, targets, lse, T, C, V }, kernels);
    checkGradient(hidden, g, f, dh);
  });

  it('the vocabulary log-probs and backward over several blocks of tokens and of vocabulary rows: the direct sums', () => {
    const { rows, vocab } = vocabBlock;
    const [T, C, V] = [rows + 44, 6, vocab + 452];
    const hidden = random(T * C, 20);
    const weight = random(V * C, 21);
    const targets = Float64Array.from({ length: T }, (_, t) => (t * 977) % V); // in both vocabulary blocks
    const g = random(T, 22);
    g[5] = 0;
    const lse = new Float64Array(T);
    const lp = new Float64Array(T);
    vocabLogprobsForward({ logprobs: lp, lse, hidden, weight, targets, T, C, V }, kernels);
    // The forward's log-sum-exp, merged over the vocabulary blocks, against one pass over each row.
    let forwardError = 0;
    for (let t = 0; t < T; t++) {
      const logits = Array.from({ length: V }, (_, v) => {
        let logit = 0;
        for (let c = 0; c < C; c++) logit += hidden[t * C + c] * weight[v * C + c];
        return logit;
      });
      const max = Math.max(...logits);
      const l = max + Math.log(logits.reduce((sum, x) => sum + Math.exp(x - max), 0));
      forwardError = Math.max(forwardError, Math.abs(lse[t] - l), Math.abs(lp[t] - (logits[targets[t]] - l)));
    }
    expect(forwardError).toBeLessThan(1e-12);
    const dh = new Float64Array(T * C);
    vocabLogprobsBackward({ dhidden: dh, dlogprobs: g, hidden, weight, targets, lse, T, C, V }, kernels);
    // dh_t = g_t (W[target_t] − Σ_v p_tv W_v), p from the logits and lse.
    let error = 0;
    for (let t = 0; t < T; t++) {
      const expected = new Float64Array(C);
      for (let v = 0; v < V; v++) {
        let logit = 0;
        for (let c = 0; c < C; c++) logit += hidden[t * C + c] * weight[v * C + c];
        const coef = (v === targets[t] ? 1 : 0) - Math.exp(logit - lse[t]);
        for (let c = 0; c < C; c++) expected[c] += g[t] * coef * weight[v * C + c];
      }
      for (let c = 0; c < C; c++) error = Math.max(error, Math.abs(dh[t * C + c] - expected[c]));
    }
    expect(error).toBeLessThan(1e-12);
    expect(dh.subarray(5 * C, 6 * C).every((x) => x === 0)).toBe(true);
  });
});
