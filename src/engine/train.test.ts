import { describe, expect, it, vi } from 'vitest';
import { maskedCrossEntropy, ppoLoss } from '../sod/loss';
import { CpuBackend } from './cpu/backend';
import { initLoraParams, loraLayout } from './lora';
import { Qwen3Model, type LoraState } from './model';
import { allLoraTargets } from './params';
import { randomModel, tinyConfig } from './testing/tiny';
import type { TrainingSequence } from '../core/policy';
import { LoraTrainer } from './train';
import { createLoraState } from './lora-state';

const cpu = new CpuBackend();

/** Wide enough that the tied head can put nearly all mass on one token (the tiny one cannot). */
const smallConfig = { ...tinyConfig, hiddenSize: 32, intermediateSize: 64, headDim: 8 };

function freshLora(rank = 4, config = tinyConfig): LoraState<Float32Array | Float64Array> {
  const layout = loraLayout(config, { rank, alpha: 2 * rank, targets: allLoraTargets });
  return createLoraState(cpu, layout, initLoraParams(layout, 3));
}

const settings = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, maxGradNorm: 1 };

/** Three samples of one prompt, each trained on the cross-entropy of its response. */
function samplesOfOnePrompt(): TrainingSequence[] {
  const prompt = [1, 2, 3, 5, 8, 13, 2, 1];
  return [
    [7, 7, 12],
    [16, 0, 9, 4],
    [4, 4],
  ].map((response) => ({
    promptIds: prompt,
    responseIds: response,
    loss: (lp) =>
      maskedCrossEntropy(
        lp,
        response.map(() => 1),
      ),
  }));
}

describe('LoraTrainer', () => {
  it('drives the SFT loss on a fixed string toward zero', async () => {
    const model = randomModel(cpu, smallConfig, 11);
    const trainer = new LoraTrainer(model, freshLora(8, smallConfig), {
      lr: 2e-2,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      weightDecay: 0,
      maxGradNorm: 1,
    });
    const prompt = [1, 2, 3];
    const response = [7, 7, 12, 4, 16, 0, 9];
    const mask = response.map(() => 1);
    const seq: TrainingSequence = {
      promptIds: prompt,
      responseIds: response,
      loss: (lp) => maskedCrossEntropy(lp, mask),
    };
    const first = await trainer.trainStep([seq]);
    let last = first;
    for (let i = 0; i < 60; i++) last = await trainer.trainStep([seq]);
    expect(first.loss).toBeGreaterThan(1);
    expect(last.loss).toBeLessThan(0.05 * first.loss);
    expect(last.tokens).toBe(response.length);
    expect(trainer.step).toBe(61);
  });

  it('lowers the PPO loss of a fixed batch with one SOD-style step', async () => {
    const model = randomModel(cpu, tinyConfig, 12);
    const lora = freshLora();
    const trainer = new LoraTrainer(model, lora, {
      lr: 1e-2,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      weightDecay: 0,
      maxGradNorm: 1,
    });
    const batch = [
      { prompt: [1, 2], response: [5, 6, 7, 8], advantages: [1.5, 1.5, -0.5, 0.8], mask: [1, 1, 0, 1] },
      { prompt: [3], response: [9, 10, 11], advantages: [-1, -1, -1], mask: [1, 1, 1] },
    ];
    const old = await Promise.all(
      batch.map(async (x) =>
        Float64Array.from((await model.logprobs([...x.prompt, ...x.response], lora)).subarray(x.prompt.length - 1)),
      ),
    );
    const tokenCount = batch.reduce((n, x) => n + x.mask.reduce((a, m) => a + m, 0), 0);
    const sequences: TrainingSequence[] = batch.map((x, i) => ({
      promptIds: x.prompt,
      responseIds: x.response,
      loss: (lp) =>
        ppoLoss({ logprobs: lp, oldLogprobs: old[i], advantages: x.advantages, mask: x.mask }, undefined, tokenCount),
    }));
    const before = await trainer.trainStep(sequences);
    const evaluate = async () => {
      let total = 0;
      for (const [i, x] of batch.entries()) {
        const lp = Float64Array.from(
          (await model.logprobs([...x.prompt, ...x.response], lora)).subarray(x.prompt.length - 1),
        );
        total += ppoLoss(
          { logprobs: lp, oldLogprobs: old[i], advantages: x.advantages, mask: x.mask },
          undefined,
          tokenCount,
        ).loss;
      }
      return total;
    };
    const after = await evaluate();
    expect(before.gradNorm).toBeGreaterThan(0);
    expect(after).toBeLessThan(before.loss);
  });

  it('trains G samples of one prompt with the prompt run once, to the same adapter as running each in full', async () => {
    const f64 = new CpuBackend(Float64Array);
    const layout = loraLayout(smallConfig, { rank: 4, alpha: 8, targets: allLoraTargets });
    const batch = samplesOfOnePrompt();
    const train = async (sharedPrefix: 'exact' | 'none') => {
      const lora = createLoraState(f64, layout, initLoraParams(layout, 3));
      const trainer = new LoraTrainer(randomModel(f64, smallConfig, 5), lora, settings, { sharedPrefix });
      const losses = [];
      for (let step = 0; step < 3; step++) losses.push((await trainer.trainStep(batch)).loss);
      return { losses, params: Float64Array.from(lora.params) };
    };
    const exact = await train('exact');
    const full = await train('none');
    for (let i = 0; i < 3; i++) expect(exact.losses[i]).toBeCloseTo(full.losses[i], 10);
    const scale = Math.max(...Array.from(full.params, Math.abs));
    for (let i = 0; i < full.params.length; i++)
      expect(Math.abs(exact.params[i] - full.params[i])).toBeLessThan(1e-9 * scale);
  });

  it.each(['exact', 'none'] as const)(
    'keeps each layer’s activations for the backward when they fit: the same adapter as recomputing them, one forward per layer (shared prompt: %s)',
    async (sharedPrefix) => {
      const layout = loraLayout(smallConfig, { rank: 4, alpha: 8, targets: allLoraTargets });
      const batch = samplesOfOnePrompt();
      const train = async (keptActivationBytes: number) => {
        const backend = new CpuBackend();
        const random = randomModel(backend, smallConfig, 5);
        const model = new Qwen3Model(backend, smallConfig, random.weights, keptActivationBytes);
        const lora = createLoraState(backend, layout, initLoraParams(layout, 3));
        const trainer = new LoraTrainer(model, lora, settings, { sharedPrefix });
        const layerForwards = vi.spyOn(backend, 'attentionForward');
        for (let step = 0; step < 3; step++) await trainer.trainStep(batch);
        return { params: Float32Array.from(lora.params), layerForwards: layerForwards.mock.calls.length };
      };
      const kept = await train(2 ** 30);
      const recomputed = await train(0);
      expect(kept.params).toEqual(recomputed.params);
      // Per step: each sequence's forward, and the recomputation in its backward when not kept;
      // with the shared prompt, the prompt's forward too, and its recomputation in prefixBackward when not kept.
      const L = smallConfig.numLayers;
      const prompts = sharedPrefix === 'exact' ? 1 : 0;
      expect(kept.layerForwards).toBe(3 * (3 * L + prompts * L));
      expect(recomputed.layerForwards).toBe(3 * 2 * (3 * L + prompts * L));
    },
  );
});
