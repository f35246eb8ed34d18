import { describe, expect, it } from 'vitest';
import { CpuBackend } from './cpu/backend';
import { allLoraTargets } from './params';
import { randomLora, randomModel, tinyConfig } from './testing/tiny';
import type { Qwen3Config } from './config';

const f64 = new CpuBackend(Float64Array);
const ids = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3];

function weightedLoss(logprobs: ArrayLike<number>, g: number[]): number {
  let s = 0;
  for (let t = 0; t < g.length; t++) s += g[t] * logprobs[t];
  return s;
}

describe('Qwen3Model on the CPU', () => {
  it('gives log-probabilities: each row of the next-token distribution sums to one', async () => {
    const model = randomModel(f64);
    const lp = await model.logprobs(ids);
    expect(lp).toHaveLength(ids.length - 1);
    for (const x of lp) expect(x).toBeLessThan(0);
    // Σ_v p(v | prefix) = 1: score every possible next token after the same prefix.
    let total = 0;
    for (let v = 0; v < tinyConfig.vocabSize; v++) total += Math.exp((await model.logprobs([3, 1, 4, v]))[2]);
    expect(total).toBeCloseTo(1, 10);
  });

  it('reproduces the base model exactly with a zero LoRA (B = 0)', async () => {
    const model = randomModel(f64);
    const lora = randomLora(f64, tinyConfig, { rank: 2, alpha: 4, targets: allLoraTargets }, 2, 0);
    expect(Array.from(await model.logprobs(ids, lora))).toEqual(Array.from(await model.logprobs(ids)));
  });

  const variants: [string, Qwen3Config][] = [
    ['GQA with head_dim ≠ hidden/heads', tinyConfig],
    [
      'multi-head (kv heads = heads), untied head',
      { ...tinyConfig, numKvHeads: 4, headDim: 2, tieWordEmbeddings: false },
    ],
  ];
  for (const [name, config] of variants) {
    it(`matches finite differences for every LoRA parameter kind: ${name}`, async () => {
      const model = randomModel(f64, config, 5);
      const lora = randomLora(f64, config, { rank: 2, alpha: 3, targets: allLoraTargets }, 7);
      const g = ids.slice(1).map((_, t) => Math.sin(t + 1));
      await model.logprobs(ids, lora);
      f64.fill({ x: lora.grads, value: 0, length: lora.layout.size });
      await model.backward(ids, { lora }, Float64Array.from(g));
      const analytic = Float64Array.from(lora.grads);
      const params = lora.params;
      const h = 1e-6;
      // Check a spread of parameters: entries of every A and B of both layers.
      const indices = lora.layout.slots.flatMap((s) => [s.aOffset, s.aOffset + 3, s.bOffset, s.bOffset + 1]);
      for (const i of indices) {
        const keep = params[i];
        params[i] = keep + h;
        const up = weightedLoss(await model.logprobs(ids, lora), g);
        params[i] = keep - h;
        const down = weightedLoss(await model.logprobs(ids, lora), g);
        params[i] = keep;
        const numeric = (up - down) / (2 * h);
        expect(
          Math.abs(analytic[i] - numeric),
          `parameter ${i}: analytic ${analytic[i]} numeric ${numeric}`,
        ).toBeLessThan(1e-6 * Math.max(1, Math.abs(numeric)));
      }
    });
  }
});
