import { describe, expect, it } from 'vitest';
import { gpuAvailable, maxError, randomArray, testGpu } from '../../../../tests/support/gpu';
import { CpuBackend } from '../../cpu/backend';
import { encodeVocabLogprobs, encodeVocabLogprobsBackward, keptLogitsValues } from './vocab-logprobs';

// f32 logits over C terms, log-sum-exp over V, against the float64 CPU backend:
// 1e-5 absolute on log-probs; 1e-4 relative on dh.
describe.skipIf(!gpuAvailable)('vocabulary log-softmax fused with the gather', () => {
  const cases: { T: number; C: number; shardRows: number[] }[] = [
    { T: 1, C: 8, shardRows: [10] },
    { T: 70, C: 16, shardRows: [300] },
    { T: 130, C: 24, shardRows: [128, 100, 73] },
  ];
  // Kept: the forward writes each chunk's logits where the backward finds them (training), instead of recomputing them.
  for (const [{ T, C, shardRows }, keep] of cases.flatMap((c) => [[c, false] as const, [c, true] as const])) {
    it(`T=${T} C=${C} shards=${shardRows.join('+')}${keep ? ', logits kept for the backward' : ''}`, async () => {
      const ctx = await testGpu();
      const V = shardRows.reduce((a, b) => a + b, 0);
      const h = randomArray(T * C, T + C).map((x) => 2 * x);
      const w = randomArray(V * C, V + 1);
      const targets = Array.from({ length: T }, (_, t) => (t * 7919 + 13) % V);
      const g = randomArray(T, 99);
      let row = 0;
      const shards = shardRows.map((rows) => {
        const weight = ctx.upload(w.subarray(row * C, (row + rows) * C), `lm_head[${row}:${row + rows}]`);
        row += rows;
        return { weight, rows };
      });
      const hidden = ctx.upload(h, 'hidden');
      const targetIds = ctx.upload(Uint32Array.from(targets), 'targets');
      const logprobs = ctx.zeros(T, 'logprobs');
      const lse = ctx.zeros(T, 'lse');
      const dhidden = ctx.zeros(T * C, 'dhidden');
      const kept = keep
        ? Array.from({ length: Math.ceil(T / 64) }, (_, c) => ctx.zeros(keptLogitsValues(64, V), `kept logits ${c}`))
        : undefined;
      const encoder = ctx.device.createCommandEncoder();
      encodeVocabLogprobs(ctx, encoder, {
        logprobs,
        lse,
        hidden,
        targets: targetIds,
        shards,
        T,
        C,
        chunkTokens: 64,
        kept,
      });
      encodeVocabLogprobsBackward(ctx, encoder, {
        dhidden,
        dlogprobs: ctx.upload(g, 'g'),
        hidden,
        targets: targetIds,
        lse,
        shards,
        T,
        C,
        chunkTokens: 64,
        kept,
      });
      await ctx.submit(encoder);

      const cpu = new CpuBackend(Float64Array);
      const inputs = { hidden: cpu.upload(h, 'hidden'), weight: cpu.upload(w, 'lm_head'), T, C, V };
      const expected = {
        logprobs: cpu.zeros(T, 'logprobs'),
        lse: cpu.zeros(T, 'lse'),
        dhidden: cpu.zeros(T * C, 'dh'),
      };
      const cpuTargets = cpu.uploadIds(targets, 'targets');
      cpu.vocabLogprobsForward({ ...inputs, logprobs: expected.logprobs, lse: expected.lse, targets: cpuTargets });
      cpu.vocabLogprobsBackward({
        ...inputs,
        dhidden: expected.dhidden,
        dlogprobs: cpu.upload(g, 'g'),
        targets: cpuTargets,
        lse: expected.lse,
      });

      expect(maxError(await ctx.read(logprobs, T), expected.logprobs).abs).toBeLessThan(1e-5);
      expect(maxError(await ctx.read(dhidden, T * C), expected.dhidden).rel).toBeLessThan(1e-4);
    });
  }

  it('refuses a chunk size that would misalign offsets', async () => {
    const ctx = await testGpu();
    const b = ctx.zeros(64, 'b');
    expect(() =>
      encodeVocabLogprobs(ctx, ctx.device.createCommandEncoder(), {
        logprobs: b,
        lse: b,
        hidden: b,
        targets: b,
        shards: [{ weight: b, rows: 2 }],
        T: 2,
        C: 2,
        chunkTokens: 10,
      }),
    ).toThrow('chunkTokens must be a multiple of 64');
  });
});
