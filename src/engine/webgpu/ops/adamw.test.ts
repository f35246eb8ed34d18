import { describe, expect, it } from 'vitest';
import { gpuAvailable, maxError, randomArray, testGpu } from '../../../../tests/support/gpu';
import type { AdamWSettings } from '../../backend';
import { encodeAdamW, encodeGradNorm } from './adamw';

/** Three AdamW steps with global-norm clipping, in float64. */
function adamwReference(p0: Float32Array, grads: Float32Array[], s: AdamWSettings) {
  const p = Float64Array.from(p0);
  const m = new Float64Array(p.length);
  const v = new Float64Array(p.length);
  const norms: number[] = [];
  grads.forEach((g, k) => {
    const norm = Math.sqrt(g.reduce((a, x) => a + x * x, 0));
    norms.push(norm);
    const clip = s.maxGradNorm > 0 && norm > s.maxGradNorm ? s.maxGradNorm / norm : 1;
    const step = k + 1;
    for (let i = 0; i < p.length; i++) {
      const gi = g[i] * clip;
      m[i] = s.beta1 * m[i] + (1 - s.beta1) * gi;
      v[i] = s.beta2 * v[i] + (1 - s.beta2) * gi * gi;
      const update = m[i] / (1 - s.beta1 ** step) / (Math.sqrt(v[i] / (1 - s.beta2 ** step)) + s.eps);
      p[i] -= s.lr * (update + s.weightDecay * p[i]);
    }
  });
  return { p, norms };
}

// f32 moments: 1e-5 relative on parameters after three steps, 1e-5 relative on the norm.
describe.skipIf(!gpuAvailable)('gradient norm and AdamW on the GPU', () => {
  for (const [n, maxGradNorm] of [
    [1, 0],
    [1000, 1],
    [70_000, 5],
  ]) {
    it(`n=${n} maxGradNorm=${maxGradNorm}`, async () => {
      const ctx = await testGpu();
      const settings: AdamWSettings = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, maxGradNorm };
      const p0 = randomArray(n, n);
      const grads = [1, 2, 3].map((k) => randomArray(n, n * 7 + k));
      const params = ctx.upload(p0, 'params');
      const m = ctx.zeros(n, 'm');
      const v = ctx.zeros(n, 'v');
      const norm = ctx.zeros(1, 'norm');
      const norms: number[] = [];
      for (const [k, g] of grads.entries()) {
        const encoder = ctx.device.createCommandEncoder();
        const gradBuffer = ctx.upload(g, 'grads');
        encodeGradNorm(ctx, encoder, { norm, grads: gradBuffer, n });
        encodeAdamW(ctx, encoder, { params, grads: gradBuffer, m, v, norm, n, step: k + 1, settings });
        await ctx.submit(encoder);
        norms.push((await ctx.read(norm, 1))[0]);
      }
      const expected = adamwReference(p0, grads, settings);
      expect(maxError(norms, expected.norms).rel).toBeLessThan(1e-5);
      expect(maxError(await ctx.read(params, n), expected.p).rel).toBeLessThan(1e-5);
    });
  }
});
