import { describe, expect, it } from 'vitest';
import { gpuAvailable, maxError, randomArray, testGpu } from '../../../../tests/support/gpu';
import { ppoStatsWidth } from '../../backend-types';
import { CpuBackend } from '../../cpu/backend';
import { encodePpoLoss } from './ppo-loss';

const settings = { clipLow: 0.2, clipHigh: 0.28, dualClip: 3, logRatioClamp: 20 };

/**
 * T log-probs whose response [offset, offset + n) drifts from the rollout's by up to ±spread
 * (a wide spread clips many ratios and reaches the clamp), with mixed-sign advantages and a mask.
 */
function sequence(T: number, offset: number, n: number, spread: number, seed: number) {
  const logprobs = randomArray(T, seed).map((v) => -3 + 2 * v);
  const drift = randomArray(n, seed + 1);
  const old = Float32Array.from({ length: n }, (_, i) => logprobs[offset + i] - spread * drift[i]);
  const advantages = randomArray(n, seed + 2).map((v) => 3 * v);
  const mask = randomArray(n, seed + 3).map((v) => (v > -0.6 ? 1 : 0));
  return { logprobs, inputs: Float32Array.from([...old, ...advantages, ...mask]) };
}

// f32 on the GPU against src/sod's ppoLoss in float64 (the CPU backend's op).
describe.skipIf(!gpuAvailable)('the PPO loss kernel', () => {
  it.each([
    [8, 2, 5, 0.1],
    [300, 40, 257, 0.5],
    [1500, 100, 1400, 30],
  ])(
    'on %i log-probs (response at %i, %i tokens, ratios drifting ±%f) agrees with ppoLoss',
    async (T, offset, n, spread) => {
      const ctx = await testGpu();
      const { logprobs, inputs } = sequence(T, offset, n, spread, T);
      const tokenCount = 2 * n; // this sequence as half of its minibatch's tokens
      const slot = 1;
      const args = { T, offset, n, slot, tokenCount, ...settings };
      const gpu = { dlogprobs: ctx.zeros(T, 'dlogprobs'), stats: ctx.zeros(ppoStatsWidth * 2, 'stats') };
      const encoder = ctx.device.createCommandEncoder();
      encodePpoLoss(ctx, encoder, {
        ...args,
        ...gpu,
        logprobs: ctx.upload(logprobs, 'logprobs'),
        inputs: ctx.upload(inputs, 'inputs'),
      });
      await ctx.submit(encoder);

      const cpu = new CpuBackend(Float64Array);
      const expected = { dlogprobs: cpu.zeros(T, 'dlogprobs'), stats: cpu.zeros(ppoStatsWidth * 2, 'stats') };
      cpu.ppoLoss({ ...args, ...expected, logprobs: cpu.upload(logprobs, 'lp'), inputs: cpu.upload(inputs, 'in') });

      const dlogprobs = await ctx.read(gpu.dlogprobs, T);
      expect(maxError(dlogprobs, expected.dlogprobs).abs).toBeLessThan(1e-6);
      const stats = await ctx.read(gpu.stats, ppoStatsWidth * 2);
      const want = expected.stats.subarray(ppoStatsWidth);
      expect(Array.from(stats.subarray(0, ppoStatsWidth))).toEqual([0, 0, 0, 0, 0]); // slot 0 untouched
      expect(stats[ppoStatsWidth]).toBeCloseTo(want[0], 4); // the loss
      expect(Array.from(stats.subarray(ppoStatsWidth + 1, ppoStatsWidth + 3))).toEqual(Array.from(want.subarray(1, 3)));
      expect(Math.abs(stats[ppoStatsWidth + 3] - want[3])).toBeLessThan(1e-4 * Math.max(1, Math.abs(want[3])));
      expect(stats[ppoStatsWidth + 4]).toBe(0);
      if (spread > 1) expect(want[1]).toBeGreaterThan(0); // the wide case does clip
    },
  );

  it('counts log-probs that are not finite and makes their gradient NaN', async () => {
    const ctx = await testGpu();
    const { logprobs, inputs } = sequence(16, 4, 10, 0.1, 7);
    logprobs[6] = Number.NaN;
    logprobs[9] = Number.NEGATIVE_INFINITY;
    const gpu = { dlogprobs: ctx.zeros(16, 'dlogprobs'), stats: ctx.zeros(ppoStatsWidth, 'stats') };
    const encoder = ctx.device.createCommandEncoder();
    encodePpoLoss(ctx, encoder, {
      T: 16,
      offset: 4,
      n: 10,
      slot: 0,
      tokenCount: 10,
      ...settings,
      ...gpu,
      logprobs: ctx.upload(logprobs, 'logprobs'),
      inputs: ctx.upload(inputs, 'inputs'),
    });
    await ctx.submit(encoder);
    const dlogprobs = await ctx.read(gpu.dlogprobs, 16);
    expect(Number.isNaN(dlogprobs[6]) && Number.isNaN(dlogprobs[9])).toBe(true);
    expect(dlogprobs[0]).toBe(0);
    expect((await ctx.read(gpu.stats, ppoStatsWidth))[4]).toBe(2);
  });
});
