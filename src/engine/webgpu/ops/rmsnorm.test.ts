import { describe, expect, it } from 'vitest';
import { gpuAvailable, maxError, randomArray, testGpu } from '../../../../tests/support/gpu';
import { encodeRmsNormBackward, encodeRmsNormForward } from './rmsnorm';

function rmsNormReference(
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  rows: number,
  C: number,
  eps: number,
): Float64Array {
  const out = new Float64Array(rows * C);
  for (let r = 0; r < rows; r++) {
    let sq = 0;
    for (let i = 0; i < C; i++) sq += x[r * C + i] ** 2;
    const rstd = 1 / Math.sqrt(sq / C + eps);
    for (let i = 0; i < C; i++) out[r * C + i] = x[r * C + i] * rstd * w[i];
  }
  return out;
}

/** d(Σ dy · rmsNorm(x))/dx by central differences in float64. */
function numericGradient(
  x: Float32Array,
  w: Float32Array,
  dy: Float32Array,
  rows: number,
  C: number,
  eps: number,
): Float64Array {
  const g = new Float64Array(x.length);
  const h = 1e-5;
  const xs = Float64Array.from(x);
  const loss = () => rmsNormReference(xs, w, rows, C, eps).reduce((s, v, i) => s + v * dy[i], 0);
  for (let i = 0; i < x.length; i++) {
    const keep = xs[i];
    xs[i] = keep + h;
    const up = loss();
    xs[i] = keep - h;
    const down = loss();
    xs[i] = keep;
    g[i] = (up - down) / (2 * h);
  }
  return g;
}

// f32 with a 64-lane tree reduction: 1e-5 relative for the forward, 1e-4 for the backward.
describe.skipIf(!gpuAvailable)('RMSNorm kernels', () => {
  for (const [rows, C] of [
    [1, 1],
    [3, 7],
    [5, 64],
    [9, 130],
    [2, 1000],
  ]) {
    it(`forward and backward, rows=${rows} C=${C}`, async () => {
      const ctx = await testGpu();
      const eps = 1e-6;
      const x = randomArray(rows * C, rows + 7 * C);
      const w = randomArray(C, C + 3);
      const dy = randomArray(rows * C, rows * 3 + C);
      const out = ctx.zeros(rows * C, 'out');
      const rstd = ctx.zeros(rows, 'rstd');
      const inp = ctx.upload(x, 'x');
      const weight = ctx.upload(w, 'w');
      const dinp = ctx.upload(new Float32Array(rows * C).fill(0.5), 'dx');
      const encoder = ctx.device.createCommandEncoder();
      encodeRmsNormForward(ctx, encoder, { out, rstd, inp, weight, rows, C, eps });
      encodeRmsNormBackward(ctx, encoder, {
        dinp,
        dout: ctx.upload(dy, 'dy'),
        inp,
        weight,
        rstd,
        rows,
        C,
        accumulate: true,
      });
      await ctx.submit(encoder);
      expect(maxError(await ctx.read(out, rows * C), rmsNormReference(x, w, rows, C, eps)).rel).toBeLessThan(1e-5);
      const expected = numericGradient(x, w, dy, rows, C, eps).map((g) => g + 0.5);
      expect(maxError(await ctx.read(dinp, rows * C), expected).rel).toBeLessThan(1e-4);
    });
  }
});
