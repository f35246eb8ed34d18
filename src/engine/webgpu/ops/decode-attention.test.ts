import { describe, expect, it } from 'vitest';
import { gpuAvailable, maxError, randomArray, testGpu } from '../../../../tests/support/gpu';
import { encodeAttentionForward } from './attention';
import { encodeDecodeAttention } from './decode-attention';

// Both kernels in f32 with online softmax, merged in different orders: 1e-5 absolute.
describe.skipIf(!gpuAvailable)('decode attention over the KV cache', () => {
  for (const [L, Hq, Hkv, D] of [
    [1, 1, 1, 4],
    [5, 4, 2, 8],
    [200, 2, 1, 40],
    [130, 8, 2, 64],
  ]) {
    it(`matches the last row of full causal attention, L=${L} Hq=${Hq} Hkv=${Hkv} D=${D}`, async () => {
      const ctx = await testGpu();
      const q = randomArray(L * Hq * D, L + D);
      const k = ctx.upload(randomArray(L * Hkv * D, L * 3 + D), 'k');
      const v = ctx.upload(randomArray(L * Hkv * D, L * 5 + D), 'v');
      const full = ctx.zeros(L * Hq * D, 'full');
      const decoded = ctx.zeros(Hq * D, 'decoded');
      const encoder = ctx.device.createCommandEncoder();
      encodeAttentionForward(ctx, encoder, {
        T: L,
        P: 0,
        Hq,
        Hkv,
        D,
        q: ctx.upload(q, 'q'),
        k,
        v,
        out: full,
        lse: ctx.zeros(Hq * L, 'lse'),
      });
      encodeDecodeAttention(ctx, encoder, {
        out: decoded,
        q: ctx.upload(q.subarray((L - 1) * Hq * D), 'q last'),
        k,
        v,
        L,
        Hq,
        Hkv,
        D,
      });
      await ctx.submit(encoder);
      const lastRow = (await ctx.read(full, L * Hq * D)).subarray((L - 1) * Hq * D);
      expect(maxError(await ctx.read(decoded, Hq * D), lastRow).abs).toBeLessThan(1e-5);
    });
  }
});
