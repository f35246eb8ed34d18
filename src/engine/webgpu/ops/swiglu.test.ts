import { describe, expect, it } from 'vitest';
import { gpuAvailable, maxError, randomArray, testGpu } from '../../../../tests/support/gpu';
import { CpuBackend } from '../../cpu/backend';
import { encodeSwigluBackward, encodeSwigluForward } from './swiglu';

// Elementwise in f32 against the float64 CPU backend: 1e-5 relative forward and on dup; 1e-4 on dgate.
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

      const cpu = new CpuBackend(Float64Array);
      const inputs = { gate: cpu.upload(g, 'gate'), up: cpu.upload(u, 'up'), n };
      const expected = { out: cpu.zeros(n, 'out'), dgate: cpu.zeros(n, 'dgate'), dup: cpu.zeros(n, 'dup') };
      cpu.swigluForward({ ...inputs, out: expected.out });
      cpu.swigluBackward({ ...inputs, dgate: expected.dgate, dup: expected.dup, dout: cpu.upload(dy, 'dy') });

      expect(maxError(await ctx.read(out, n), expected.out).rel).toBeLessThan(1e-5);
      expect(maxError(await ctx.read(dgate, n), expected.dgate).rel).toBeLessThan(1e-4);
      expect(maxError(await ctx.read(dup, n), expected.dup).rel).toBeLessThan(1e-5);
    });
  }
});
