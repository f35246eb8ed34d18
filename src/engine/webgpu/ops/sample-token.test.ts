import { describe, expect, it } from 'vitest';
import { gpuAvailable, randomArray, testGpu } from '../../../../tests/support/gpu';
import { seededUniform } from '../../../core/random';
import { logSoftmaxAt, sampleToken } from '../../sampling';
import { encodeSampleToken } from './sample-token';

type Settings = { temperature: number; topK: number; topP: number };

const settings: Settings[] = [
  { temperature: 0, topK: 0, topP: 1 },
  { temperature: 1, topK: 0, topP: 1 },
  { temperature: 0.7, topK: 20, topP: 1 },
  { temperature: 1.3, topK: 0, topP: 0.9 },
  { temperature: 0.8, topK: 50, topP: 0.8 },
  { temperature: 1, topK: 1, topP: 1 },
];

// The kernel against the CPU sampler on the same logits and the same draws. Sums differ in
// order (f32 in a tree on the GPU, float64 along the sorted order on the CPU), so a draw
// within rounding of a boundary may pick a neighbour; with these seeds none does.
describe.skipIf(!gpuAvailable)('the sampling kernel', () => {
  for (const V of [7, 300, 5000]) {
    it(`picks the CPU sampler's tokens over ${V} logits, and their log-probs`, async () => {
      const ctx = await testGpu();
      const row = randomArray(V, V).map((v) => 4 * v);
      // Ties: the maximum twice and a repeated value among the rest, broken by the lowest index as on the CPU.
      const top = Math.max(...row) + 1;
      row[V - 1] = top;
      row[Math.floor(V / 2)] = top;
      row[1] = row[2];
      const logits = ctx.upload(row, 'logits');
      const out = ctx.zeros(2, 'out');
      const next = ctx.upload(new Uint32Array(4), 'next');
      const uniform = seededUniform(V);
      for (const s of settings) {
        for (let draw = 0; draw < 8; draw++) {
          const u = s.temperature > 0 ? uniform() : 0;
          const encoder = ctx.device.createCommandEncoder();
          encodeSampleToken(ctx, encoder, { out, next, logits, V, ...s, uniform: u });
          await ctx.submit(encoder);
          const [id, logprob] = await ctx.read(out, 2);
          const expected = sampleToken(row, s, () => u);
          expect({ s, u, id }).toEqual({ s, u, id: expected });
          expect(logprob).toBeCloseTo(logSoftmaxAt(row, expected), 4);
          const ids = new Uint32Array((await ctx.read(next, 1)).buffer);
          expect(ids[0]).toBe(expected);
        }
      }
    }, 120_000);
  }

  it('keeps a draw at the edges: u = 0 takes the most likely token, u near 1 the last kept one', async () => {
    const ctx = await testGpu();
    const row = Float32Array.from([0, 3, 1, 2, -1]);
    const logits = ctx.upload(row, 'logits');
    const out = ctx.zeros(2, 'out');
    for (const [u, s] of [
      [0, { temperature: 1, topK: 0, topP: 1 }],
      [0.999999, { temperature: 1, topK: 3, topP: 1 }],
      [0.999999, { temperature: 1, topK: 0, topP: 1 }],
    ] as const) {
      const encoder = ctx.device.createCommandEncoder();
      encodeSampleToken(ctx, encoder, { out, logits, V: row.length, ...s, uniform: u });
      await ctx.submit(encoder);
      expect((await ctx.read(out, 2))[0]).toBe(sampleToken(row, s, () => u));
    }
  });
});
