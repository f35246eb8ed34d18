import { describe, expect, it } from 'vitest';
import { gpuAvailable, maxError, randomArray, testGpu } from '../../../../tests/support/gpu';
import { CpuBackend } from '../../cpu/backend';
import { encodeRopeBackward, encodeRopeForward, ropeTable } from './rope';

// cos/sin from a float64 table, against the float64 CPU backend: 1e-6 absolute on inputs in [-1, 1);
// the backward must undo the forward.
describe.skipIf(!gpuAvailable)('rotary embedding kernel', () => {
  for (const [T, heads, D, offset] of [
    [1, 1, 2, 0],
    [5, 3, 8, 0],
    [17, 2, 64, 40],
    [3, 4, 128, 7],
  ]) {
    it(`T=${T} heads=${heads} D=${D} offset=${offset}`, async () => {
      const ctx = await testGpu();
      const theta = 1_000_000;
      const x = randomArray(T * heads * D, T * 7 + D);
      const buffer = ctx.upload(x, 'q');
      const table = ctx.upload(ropeTable(D, theta, offset + T), 'rope table');
      const args = { x: buffer, table, T, heads, D, offset };
      let encoder = ctx.device.createCommandEncoder();
      encodeRopeForward(ctx, encoder, args);
      await ctx.submit(encoder);

      const cpu = new CpuBackend(Float64Array);
      const expected = cpu.upload(x, 'q');
      cpu.rope({ x: expected, T, heads, D, offset, theta, direction: 1 });
      expect(maxError(await ctx.read(buffer, x.length), expected).abs).toBeLessThan(1e-6);

      encoder = ctx.device.createCommandEncoder();
      encodeRopeBackward(ctx, encoder, args);
      await ctx.submit(encoder);
      // The rotation is orthogonal: its gradient map is its inverse, so backward(forward(x)) = x.
      expect(maxError(await ctx.read(buffer, x.length), x).abs).toBeLessThan(1e-6);
    });
  }
});
