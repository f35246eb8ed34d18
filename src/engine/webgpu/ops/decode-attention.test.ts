import { describe, expect, it } from 'vitest';
import { gpuAvailable, maxError, randomArray, testGpu } from '../../../../tests/support/gpu';
import { CpuBackend } from '../../cpu/backend';
import { encodeDecodeAttention } from './decode-attention';

// f32 with online softmax, split across threads, against the float64 CPU backend: 1e-5 absolute.
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
      const k = randomArray(L * Hkv * D, L * 3 + D);
      const v = randomArray(L * Hkv * D, L * 5 + D);
      const lastQ = q.subarray((L - 1) * Hq * D);
      const decoded = ctx.zeros(Hq * D, 'decoded');
      const encoder = ctx.device.createCommandEncoder();
      encodeDecodeAttention(ctx, encoder, {
        out: decoded,
        q: ctx.upload(lastQ, 'q last'),
        k: ctx.upload(k, 'k'),
        v: ctx.upload(v, 'v'),
        L,
        Hq,
        Hkv,
        D,
      });
      await ctx.submit(encoder);

      // The last row of full causal attention: one query at position L − 1 over the L cached keys.
      const cpu = new CpuBackend(Float64Array);
      const expected = cpu.zeros(Hq * D, 'out');
      cpu.attentionForward({
        T: 1,
        P: L - 1,
        Hq,
        Hkv,
        D,
        out: expected,
        lse: cpu.zeros(Hq, 'lse'),
        q: cpu.upload(lastQ, 'q last'),
        k: cpu.upload(k, 'k'),
        v: cpu.upload(v, 'v'),
      });
      expect(maxError(await ctx.read(decoded, Hq * D), expected).abs).toBeLessThan(1e-5);
    });
  }
});
