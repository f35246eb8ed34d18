import { describe, expect, it } from 'vitest';
import { gpuAvailable, maxError, randomArray, testGpu } from '../../../../tests/support/gpu';
import type { AdamWSettings } from '../../backend';
import { CpuBackend } from '../../cpu/backend';
import { encodeAdamW, encodeGradNorm } from './adamw';

// f32 moments against the float64 CPU backend: 1e-5 relative on parameters after three steps and on the norm.
describe.skipIf(!gpuAvailable)('gradient norm and AdamW on the GPU', () => {
  for (const [n, maxGradNorm] of [
    [1, 0],
    [1000, 1],
    [70_000, 5],
  ]) {
    it(`n=${n} maxGradNorm=${maxGradNorm}`, async () => {
      const ctx = await testGpu();
      const cpu = new CpuBackend(Float64Array);
      const settings: AdamWSettings = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, maxGradNorm };
      const p0 = randomArray(n, n);
      const grads = [1, 2, 3].map((k) => randomArray(n, n * 7 + k));
      const params = ctx.upload(p0, 'params');
      const m = ctx.zeros(n, 'm');
      const v = ctx.zeros(n, 'v');
      const norm = ctx.zeros(1, 'norm');
      const expected = { params: cpu.upload(p0, 'params'), m: cpu.zeros(n, 'm'), v: cpu.zeros(n, 'v') };
      const expectedNorm = cpu.zeros(1, 'norm');
      const norms: number[] = [];
      const expectedNorms: number[] = [];
      for (const [k, g] of grads.entries()) {
        const encoder = ctx.device.createCommandEncoder();
        const gradBuffer = ctx.upload(g, 'grads');
        encodeGradNorm(ctx, encoder, { norm, grads: gradBuffer, n });
        encodeAdamW(ctx, encoder, { params, grads: gradBuffer, m, v, norm, n, step: k + 1, settings });
        await ctx.submit(encoder);
        norms.push((await ctx.read(norm, 1))[0]);

        const cpuGrads = cpu.upload(g, 'grads');
        cpu.gradNorm({ norm: expectedNorm, grads: cpuGrads, n });
        cpu.adamw({ ...expected, grads: cpuGrads, norm: expectedNorm, n, step: k + 1, settings });
        expectedNorms.push(expectedNorm[0]);
      }
      expect(maxError(norms, expectedNorms).rel).toBeLessThan(1e-5);
      expect(maxError(await ctx.read(params, n), expected.params).rel).toBeLessThan(1e-5);
    });
  }
});
