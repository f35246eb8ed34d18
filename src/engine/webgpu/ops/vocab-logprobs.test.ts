import { describe, expect, it } from 'vitest';
import { gpuAvailable, maxError, randomArray, testGpu } from '../../../../tests/support/gpu';
import { encodeVocabLogprobs, encodeVocabLogprobsBackward } from './vocab-logprobs';

/** log p(target_t) and, for the backward, dh[t] = Σ_v g_t (1[v = y_t] − p_tv) W[v], in float64. */
function reference(
  h: Float32Array,
  w: Float32Array,
  targets: Uint32Array,
  g: Float32Array,
  T: number,
  V: number,
  C: number,
) {
  const logprobs = new Float64Array(T);
  const dh = new Float64Array(T * C);
  for (let t = 0; t < T; t++) {
    const logits = new Float64Array(V);
    for (let v = 0; v < V; v++) for (let c = 0; c < C; c++) logits[v] += h[t * C + c] * w[v * C + c];
    const max = Math.max(...logits);
    const lse = max + Math.log(logits.reduce((s, l) => s + Math.exp(l - max), 0));
    logprobs[t] = logits[targets[t]] - lse;
    for (let v = 0; v < V; v++) {
      const d = g[t] * ((v === targets[t] ? 1 : 0) - Math.exp(logits[v] - lse));
      for (let c = 0; c < C; c++) dh[t * C + c] += d * w[v * C + c];
    }
  }
  return { logprobs, dh };
}

// f32 logits over C terms, log-sum-exp over V: 1e-5 absolute on log-probs; 1e-4 relative on dh.
describe.skipIf(!gpuAvailable)('vocabulary log-softmax fused with the gather', () => {
  const cases: { T: number; C: number; shardRows: number[] }[] = [
    { T: 1, C: 8, shardRows: [10] },
    { T: 70, C: 16, shardRows: [300] },
    { T: 130, C: 24, shardRows: [128, 100, 73] },
  ];
  for (const { T, C, shardRows } of cases) {
    it(`T=${T} C=${C} shards=${shardRows.join('+')}`, async () => {
      const ctx = await testGpu();
      const V = shardRows.reduce((a, b) => a + b, 0);
      const h = randomArray(T * C, T + C).map((x) => 2 * x);
      const w = randomArray(V * C, V + 1);
      const targets = Uint32Array.from({ length: T }, (_, t) => (t * 7919 + 13) % V);
      const g = randomArray(T, 99);
      let row = 0;
      const shards = shardRows.map((rows) => {
        const weight = ctx.upload(w.subarray(row * C, (row + rows) * C), `lm_head[${row}:${row + rows}]`);
        row += rows;
        return { weight, rows };
      });
      const hidden = ctx.upload(h, 'hidden');
      const targetIds = ctx.upload(targets, 'targets');
      const logprobs = ctx.zeros(T, 'logprobs');
      const lse = ctx.zeros(T, 'lse');
      const dhidden = ctx.zeros(T * C, 'dhidden');
      const encoder = ctx.device.createCommandEncoder();
      encodeVocabLogprobs(ctx, encoder, { logprobs, lse, hidden, targets: targetIds, shards, T, C, chunkTokens: 64 });
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
      });
      await ctx.submit(encoder);
      const expected = reference(h, w, targets, g, T, V, C);
      expect(maxError(await ctx.read(logprobs, T), expected.logprobs).abs).toBeLessThan(1e-5);
      expect(maxError(await ctx.read(dhidden, T * C), expected.dh).rel).toBeLessThan(1e-4);
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
