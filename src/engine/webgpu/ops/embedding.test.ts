import { describe, expect, it } from 'vitest';
import { gpuAvailable, randomArray, testGpu } from '../../../../tests/support/gpu';
import { CpuBackend } from '../../cpu/backend';
import { roundToBf16, roundToHalf } from '../../half-floats';
import { encodeEmbedding, encodeResidualAdd } from './embedding';

// Gathers and adds are exact in f32: the float32 CPU backend gives the same bits.
describe.skipIf(!gpuAvailable)('embedding gather and residual add', () => {
  it('gathers rows from a sharded table', async () => {
    const ctx = await testGpu();
    const [V, C] = [37, 5];
    const table = randomArray(V * C, 3);
    const ids = [0, 36, 12, 13, 12, 20];
    const T = ids.length;
    const shards = [
      { weight: ctx.upload(table.subarray(0, 13 * C), 'embed[0:13]'), rows: 13 },
      { weight: ctx.upload(table.subarray(13 * C), 'embed[13:37]'), rows: 24 },
    ];
    const out = ctx.zeros(T * C, 'out');
    const encoder = ctx.device.createCommandEncoder();
    encodeEmbedding(ctx, encoder, { out, ids: ctx.upload(Uint32Array.from(ids), 'ids'), shards, T, C });
    await ctx.submit(encoder);

    const cpu = new CpuBackend();
    const expected = cpu.zeros(T * C, 'out');
    cpu.embedding({ out: expected, ids: cpu.uploadIds(ids, 'ids'), table: cpu.upload(table, 'embed'), T, C, V });
    expect(Array.from(await ctx.read(out, T * C))).toEqual(Array.from(expected));
  });

  // Odd C: rows start in the middle of a u32 word. f16 rounds each value; bf16 takes values that are bf16.
  it.each([
    ['f16', (t: Float32Array) => t, roundToHalf],
    ['bf16', roundToBf16, roundToBf16],
  ] as const)('gathers rows from a %s table, each value as stored', async (format, saved, stored) => {
    const ctx = await testGpu();
    const [V, C] = [37, 5];
    const table = saved(randomArray(V * C, 4));
    const ids = [0, 36, 12, 13, 12, 20];
    const T = ids.length;
    const shards = [
      [0, 13],
      [13, 24],
    ].map(([r0, rows], s) => {
      const values = table.subarray(r0 * C, (r0 + rows) * C);
      const weight =
        format === 'f16' ? ctx.uploadHalf(values, `embed shard ${s}`) : ctx.uploadBf16(values, `embed shard ${s}`);
      if (weight === undefined) throw new Error(`test table must fit ${format}`);
      return { weight, rows };
    });
    const out = ctx.zeros(T * C, 'out');
    const encoder = ctx.device.createCommandEncoder();
    encodeEmbedding(ctx, encoder, { out, ids: ctx.upload(Uint32Array.from(ids), 'ids'), shards, T, C });
    await ctx.submit(encoder);

    const rounded = stored(table);
    const expected = ids.flatMap((id) => Array.from(rounded.subarray(id * C, (id + 1) * C)));
    expect(Array.from(await ctx.read(out, T * C))).toEqual(expected);
  });

  it('adds in place', async () => {
    const ctx = await testGpu();
    const a = randomArray(1000, 1);
    const b = randomArray(1000, 2);
    const bufA = ctx.upload(a, 'a');
    const encoder = ctx.device.createCommandEncoder();
    encodeResidualAdd(ctx, encoder, { x: bufA, delta: ctx.upload(b, 'b'), n: 1000 });
    await ctx.submit(encoder);

    const cpu = new CpuBackend();
    const expected = cpu.upload(a, 'a');
    cpu.add({ x: expected, delta: cpu.upload(b, 'b'), n: 1000 });
    expect(Array.from(await ctx.read(bufA, 1000))).toEqual(Array.from(expected));
  });
});
