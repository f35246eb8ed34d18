import { describe, expect, it } from 'vitest';
import { gpuAvailable, maxError, randomArray, testGpu } from '../../../../tests/support/gpu';
import { encodeRopeBackward, encodeRopeForward, ropeTable } from './rope';

function ropeReference(
  x: Float32Array,
  T: number,
  heads: number,
  D: number,
  offset: number,
  theta: number,
): Float64Array {
  const out = Float64Array.from(x);
  const half = D / 2;
  for (let t = 0; t < T; t++) {
    for (let h = 0; h < heads; h++) {
      const base = (t * heads + h) * D;
      for (let i = 0; i < half; i++) {
        const angle = (offset + t) * theta ** ((-2 * i) / D);
        const [a, b] = [x[base + i], x[base + i + half]];
        out[base + i] = a * Math.cos(angle) - b * Math.sin(angle);
        out[base + i + half] = b * Math.cos(angle) + a * Math.sin(angle);
      }
    }
  }
  return out;
}

// cos/sin from a float64 table: 1e-6 absolute on inputs in [-1, 1); the backward must undo the forward.
describe.skipIf(!gpuAvailable)('rotary embedding kernel', () => {
  for (const [T, heads, D, offset] of [
    [1, 1, 2, 0],
    [5, 3, 8, 0],
    [17, 2, 64, 40],
    [3, 4, 128, 7],
  ]) {
    it(`T=${T} heads=${heads} D=${D} offset=${offset}`, async () => {
      const ctx = await testGpu();
      const x = randomArray(T * heads * D, T * 7 + D);
      const buffer = ctx.upload(x, 'q');
      const table = ctx.upload(ropeTable(D, 1_000_000, offset + T), 'rope table');
      const args = { x: buffer, table, T, heads, D, offset };
      let encoder = ctx.device.createCommandEncoder();
      encodeRopeForward(ctx, encoder, args);
      await ctx.submit(encoder);
      expect(
        maxError(await ctx.read(buffer, x.length), ropeReference(x, T, heads, D, offset, 1_000_000)).abs,
      ).toBeLessThan(1e-6);
      encoder = ctx.device.createCommandEncoder();
      encodeRopeBackward(ctx, encoder, args);
      await ctx.submit(encoder);
      // The rotation is orthogonal: its gradient map is its inverse, so backward(forward(x)) = x.
      expect(maxError(await ctx.read(buffer, x.length), x).abs).toBeLessThan(1e-6);
    });
  }
});
