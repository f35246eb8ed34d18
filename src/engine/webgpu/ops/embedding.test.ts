import { describe, expect, it } from 'vitest';
import { gpuAvailable, randomArray, testGpu } from '../../../../tests/support/gpu';
import { encodeEmbedding, encodeResidualAdd } from './embedding';

// Gathers and adds are exact in f32.
describe.skipIf(!gpuAvailable)('embedding gather and residual add', () => {
  it('gathers rows from a sharded table', async () => {
    const ctx = await testGpu();
    const [V, C] = [37, 5];
    const table = randomArray(V * C, 3);
    const ids = Uint32Array.from([0, 36, 12, 13, 12, 20]);
    const shards = [
      { weight: ctx.upload(table.subarray(0, 13 * C), 'embed[0:13]'), rows: 13 },
      { weight: ctx.upload(table.subarray(13 * C), 'embed[13:37]'), rows: 24 },
    ];
    const out = ctx.zeros(ids.length * C, 'out');
    const encoder = ctx.device.createCommandEncoder();
    encodeEmbedding(ctx, encoder, { out, ids: ctx.upload(ids, 'ids'), shards, T: ids.length, C });
    await ctx.submit(encoder);
    const expected = Array.from(ids).flatMap((id) => Array.from(table.subarray(id * C, (id + 1) * C)));
    expect(Array.from(await ctx.read(out, ids.length * C))).toEqual(expected);
  });

  it('adds in place', async () => {
    const ctx = await testGpu();
    const a = randomArray(1000, 1);
    const b = randomArray(1000, 2);
    const bufA = ctx.upload(a, 'a');
    const encoder = ctx.device.createCommandEncoder();
    encodeResidualAdd(ctx, encoder, { x: bufA, delta: ctx.upload(b, 'b'), n: 1000 });
    await ctx.submit(encoder);
    expect(Array.from(await ctx.read(bufA, 1000))).toEqual(Array.from(a, (x, i) => Math.fround(x + b[i])));
  });
});
