import { describe, expect, it } from 'vitest';
import { gpuAvailable, maxError, randomArray, testGpu } from '../../../../tests/support/gpu';
import { encodeAttentionBackward, encodeAttentionForward, type AttentionDims } from './attention';

/** Causal GQA attention in float64: query t at position P + t sees keys 0..P + t. */
function attentionReference(
  q: ArrayLike<number>,
  k: ArrayLike<number>,
  v: ArrayLike<number>,
  { T, P, Hq, Hkv, D }: AttentionDims,
): Float64Array {
  const out = new Float64Array(T * Hq * D);
  const scale = 1 / Math.sqrt(D);
  for (let h = 0; h < Hq; h++) {
    const g = Math.floor(h / (Hq / Hkv));
    for (let t = 0; t < T; t++) {
      const scores: number[] = [];
      for (let j = 0; j <= P + t; j++) {
        let s = 0;
        for (let d = 0; d < D; d++) s += q[(t * Hq + h) * D + d] * k[(j * Hkv + g) * D + d];
        scores.push(s * scale);
      }
      const max = Math.max(...scores);
      const weights = scores.map((s) => Math.exp(s - max));
      const sum = weights.reduce((a, b) => a + b, 0);
      for (let j = 0; j <= P + t; j++) {
        for (let d = 0; d < D; d++) out[(t * Hq + h) * D + d] += (weights[j] / sum) * v[(j * Hkv + g) * D + d];
      }
    }
  }
  return out;
}

/** ∂(Σ dO · attention)/∂x for x in {q, k, v}, by central differences in float64. */
function numericGradients(q: Float32Array, k: Float32Array, v: Float32Array, dout: Float32Array, dims: AttentionDims) {
  const inputs = [Float64Array.from(q), Float64Array.from(k), Float64Array.from(v)];
  const loss = () => attentionReference(inputs[0], inputs[1], inputs[2], dims).reduce((s, o, i) => s + o * dout[i], 0);
  const h = 1e-6;
  return inputs.map((x) =>
    x.map((keep, i) => {
      x[i] = keep + h;
      const up = loss();
      x[i] = keep - h;
      const down = loss();
      x[i] = keep;
      return (up - down) / (2 * h);
    }),
  );
}

// f32 with online softmax: 1e-5 absolute on outputs; gradients 2e-4 relative against float64 central differences.
describe.skipIf(!gpuAvailable)('fused causal GQA attention', () => {
  const cases: AttentionDims[] = [
    { T: 1, P: 0, Hq: 1, Hkv: 1, D: 4 },
    { T: 5, P: 0, Hq: 4, Hkv: 2, D: 8 },
    { T: 19, P: 0, Hq: 2, Hkv: 1, D: 6 },
    { T: 3, P: 4, Hq: 4, Hkv: 4, D: 8 },
    { T: 70, P: 0, Hq: 2, Hkv: 2, D: 4 },
  ];
  for (const dims of cases) {
    it(`forward and backward, ${JSON.stringify(dims)}`, async () => {
      const ctx = await testGpu();
      const { T, P, Hq, Hkv, D } = dims;
      const L = P + T;
      const q = randomArray(T * Hq * D, T * 11 + D);
      const k = randomArray(L * Hkv * D, L * 13 + D);
      const v = randomArray(L * Hkv * D, L * 17 + D);
      const dy = randomArray(T * Hq * D, T * 19 + D);
      const buffers = { q: ctx.upload(q, 'q'), k: ctx.upload(k, 'k'), v: ctx.upload(v, 'v') };
      const out = ctx.zeros(T * Hq * D, 'out');
      const lse = ctx.zeros(Hq * T, 'lse');
      const dq = ctx.zeros(T * Hq * D, 'dq');
      const dk = ctx.zeros(L * Hkv * D, 'dk');
      const dv = ctx.zeros(L * Hkv * D, 'dv');
      const encoder = ctx.device.createCommandEncoder();
      encodeAttentionForward(ctx, encoder, { ...dims, ...buffers, out, lse });
      encodeAttentionBackward(ctx, encoder, {
        ...dims,
        ...buffers,
        out,
        lse,
        dq,
        dk,
        dv,
        dout: ctx.upload(dy, 'dout'),
      });
      await ctx.submit(encoder);
      expect(maxError(await ctx.read(out, T * Hq * D), attentionReference(q, k, v, dims)).abs).toBeLessThan(1e-5);
      if (T * Hq * D > 2000) return; // finite differences get slow; the forward still covers long sequences
      const [gq, gk, gv] = numericGradients(q, k, v, dy, dims);
      expect(maxError(await ctx.read(dq, gq.length), gq).rel).toBeLessThan(2e-4);
      expect(maxError(await ctx.read(dk, gk.length), gk).rel).toBeLessThan(2e-4);
      expect(maxError(await ctx.read(dv, gv.length), gv).rel).toBeLessThan(2e-4);
    });
  }

  it('refuses query heads that do not group evenly over key/value heads', async () => {
    const ctx = await testGpu();
    const b = ctx.zeros(4, 'b');
    expect(() =>
      encodeAttentionForward(ctx, ctx.device.createCommandEncoder(), {
        T: 1,
        P: 0,
        Hq: 3,
        Hkv: 2,
        D: 2,
        q: b,
        k: b,
        v: b,
        out: b,
        lse: b,
      }),
    ).toThrow('3 query heads are not a multiple of 2');
  });
});
