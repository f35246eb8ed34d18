import { describe, expect, it } from 'vitest';
import { gpuAvailable, maxError, randomArray, testGpu } from '../../../../tests/support/gpu';
import { encodeSwigluBackward, encodeSwigluForward } from './swiglu';

const silu = (g: number) => g / (1 + Math.exp(-g));

// Elementwise in f32: 1e-5 relative forward; the backward is checked against central differences (1e-4).
describe.skipIf(!gpuAvailable)('SwiGLU kernels', () => {
  for (const n of [1, 255, 257, 70_001]) {
    it(`forward and backward on ${n} elements`, async () => {
      const ctx = await testGpu();
      const g = randomArray(n, n).map((v) => 4 * v);
      const u = randomArray(n, n + 1);
      const dy = randomArray(n, n + 2);
      const gate = ctx.upload(g, 'gate');
      const up = ctx.upload(u, 'up');
      const out = ctx.zeros(n, 'out');
      const dgate = ctx.zeros(n, 'dgate');
      const dup = ctx.zeros(n, 'dup');
      const encoder = ctx.device.createCommandEncoder();
      encodeSwigluForward(ctx, encoder, { out, gate, up, n });
      encodeSwigluBackward(ctx, encoder, { dgate, dup, dout: ctx.upload(dy, 'dy'), gate, up, n });
      await ctx.submit(encoder);
      expect(
        maxError(
          await ctx.read(out, n),
          Array.from(g, (x, i) => silu(x) * u[i]),
        ).rel,
      ).toBeLessThan(1e-5);
      const h = 1e-6;
      const numericDgate = Array.from(g, (x, i) => ((silu(x + h) - silu(x - h)) / (2 * h)) * u[i] * dy[i]);
      expect(maxError(await ctx.read(dgate, n), numericDgate).rel).toBeLessThan(1e-4);
      expect(
        maxError(
          await ctx.read(dup, n),
          Array.from(g, (x, i) => silu(x) * dy[i]),
        ).rel,
      ).toBeLessThan(1e-5);
    });
  }
});
