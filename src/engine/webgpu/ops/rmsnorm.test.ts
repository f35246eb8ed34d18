import { describe, expect, it } from 'vitest';
import { gpuAvailable, maxError, randomArray, testGpu } from '../../../../tests/support/gpu';
import { CpuBackend } from '../../cpu/backend';
import { encodeRmsNormBackward, encodeRmsNormForward } from './rmsnorm';

// f32 with a 64-lane tree reduction, against the float64 CPU backend: 1e-5 relative forward, 1e-4 backward.
describe.skipIf(!gpuAvailable)('RMSNorm kernels', () => {
  for (const [rows, C] of [
    [1, 1],
    [3, 7],
    [5, 64],
    [9, 130],
    [2, 1000],
  ]) {
    it(`forward and backward, rows=${rows} C=${C}`, async () => {
      const ctx = await testGpu();
      const eps = 1e-6;
      const x = randomArray(rows * C, rows + 7 * C);
      const w = randomArray(C, C + 3);
      const dy = randomArray(rows * C, rows * 3 + C);
      const dx0 = new Float32Array(rows * C).fill(0.5); // accumulated into
      const out = ctx.zeros(rows * C, 'out');
      const rstd = ctx.zeros(rows, 'rstd');
      const inp = ctx.upload(x, 'x');
      const weight = ctx.upload(w, 'w');
      const dinp = ctx.upload(dx0, 'dx');
      const encoder = ctx.device.createCommandEncoder();
      encodeRmsNormForward(ctx, encoder, { out, rstd, inp, weight, rows, C, eps });
      encodeRmsNormBackward(ctx, encoder, {
        dinp,
        dout: ctx.upload(dy, 'dy'),
        inp,
        weight,
        rstd,
        rows,
        C,
        accumulate: true,
      });
      await ctx.submit(encoder);

      const cpu = new CpuBackend(Float64Array);
      const expected = { out: cpu.zeros(rows * C, 'out'), rstd: cpu.zeros(rows, 'rstd'), dinp: cpu.upload(dx0, 'dx') };
      const inputs = { inp: cpu.upload(x, 'x'), weight: cpu.upload(w, 'w'), rows, C };
      cpu.rmsNormForward({ ...inputs, out: expected.out, rstd: expected.rstd, eps });
      cpu.rmsNormBackward({
        ...inputs,
        dinp: expected.dinp,
        dout: cpu.upload(dy, 'dy'),
        rstd: expected.rstd,
        accumulate: true,
      });

      expect(maxError(await ctx.read(out, rows * C), expected.out).rel).toBeLessThan(1e-5);
      expect(maxError(await ctx.read(dinp, rows * C), expected.dinp).rel).toBeLessThan(1e-4);
    });
  }
});
