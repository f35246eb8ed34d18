import { describe, expect, it } from 'vitest';
import { gpuAvailable } from '../../tests/support/gpu';
import type { PpoSequenceLoss, TrainingSequence } from '../core/policy';
import { defaultPpoSettings, ppoLoss } from '../sod/loss';
import type { Backend } from './backend';
import { CpuBackend } from './cpu/backend';
import { initLoraParams, loraLayout } from './lora';
import { createLoraState } from './lora-state';
import { allLoraTargets } from './params';
import { randomModel, tinyConfig } from './testing/tiny';
import { LoraTrainer } from './train';
import { WebGpuBackend } from './webgpu/backend';
import { openEngineDevice } from './webgpu/device';
import { nodeGpu } from './webgpu/node-gpu';

const backends: [string, () => Promise<Backend<unknown>>][] = [['cpu', async () => new CpuBackend()]];
if (gpuAvailable) backends.push(['webgpu', async () => new WebGpuBackend(await openEngineDevice(await nodeGpu()))]);

/** Two samples of one prompt and one of another, with PPO inputs far enough from the model to clip some ratios. */
function minibatch(): { promptIds: number[]; responseIds: number[]; ppo: PpoSequenceLoss }[] {
  const shapes = [
    { prompt: [1, 2, 3, 4], response: [7, 3, 12, 4, 9] },
    { prompt: [1, 2, 3, 4], response: [5, 5, 2] },
    { prompt: [1, 2, 8], response: [11, 6, 1, 14] },
  ];
  const tokens = shapes.reduce((n, s) => n + s.response.length - 1, 0); // each masks its first token
  return shapes.map(({ prompt, response }, i) => ({
    promptIds: prompt,
    responseIds: response,
    ppo: {
      oldLogprobs: response.map((_, t) => -2.5 + 0.3 * Math.sin(3 * t + i)),
      advantages: response.map((_, t) => (i === 1 ? -1 : 1) * (0.5 + 0.25 * t)),
      mask: response.map((_, t) => (t === 0 ? 0 : 1)),
      settings: defaultPpoSettings,
      tokenCount: tokens,
    },
  }));
}

describe.each(backends)('a PPO step computed where the log-probs are (%s)', (name, open) => {
  async function trainer(backend: Backend<unknown>, params?: Float32Array) {
    const model = randomModel(backend, tinyConfig, 13);
    const layout = loraLayout(tinyConfig, { rank: 4, alpha: 8, targets: allLoraTargets });
    const lora = createLoraState(backend, layout, params ?? initLoraParams(layout, 3));
    const settings = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, maxGradNorm: 1 };
    return {
      trainer: new LoraTrainer(model, lora, settings),
      params: async () => Array.from(await backend.read(lora.params, layout.size)),
    };
  }

  it('takes the step a loss function of the read log-probs takes, and counts what the loss saw', async () => {
    const backend = await open();
    const [onDevice, read] = [await trainer(backend), await trainer(backend)];
    const tolerance = name === 'cpu' ? 6 : 4;
    let clipped = 0;
    let kl = 0;
    // The same loss as a function of the read log-probs, counting what it saw.
    const counting = (): TrainingSequence[] =>
      minibatch().map(({ promptIds, responseIds, ppo }) => ({
        promptIds,
        responseIds,
        loss: (logprobs) => {
          const r = ppoLoss({ ...ppo, logprobs }, ppo.settings, ppo.tokenCount);
          clipped += r.clipFraction * r.tokens;
          kl += r.approxKl * r.tokens;
          return r;
        },
      }));
    let sawClipping = false;
    for (let step = 0; step < 4; step++) {
      // From the second step on the adapter has moved, so ratios differ from 1 and some clip.
      [clipped, kl] = [0, 0];
      const a = await onDevice.trainer.trainStep(minibatch());
      const b = await read.trainer.trainStep(counting());
      expect(a.skipped).toBeUndefined();
      expect(a.loss).toBeCloseTo(b.loss, tolerance);
      expect(a.gradNorm).toBeCloseTo(b.gradNorm, tolerance);
      expect(a.tokens).toBe(b.tokens);
      expect(a.ppo?.tokens).toBe(9);
      expect(a.ppo?.clipped).toBe(Math.round(clipped));
      expect(a.ppo?.klSum).toBeCloseTo(kl, tolerance - 1);
      sawClipping ||= clipped > 0;
    }
    expect(sawClipping).toBe(true);
    const [pa, pb] = [await onDevice.params(), await read.params()];
    pa.forEach((p, i) => expect(p).toBeCloseTo(pb[i], tolerance));
  });

  it('skips the step when a log-prob is not finite, leaving the adapter and optimizer as they were', async () => {
    const backend = await open();
    const layout = loraLayout(tinyConfig, { rank: 4, alpha: 8, targets: allLoraTargets });
    // An adapter gone bad: every log-prob through it is NaN.
    const bad = await trainer(backend, new Float32Array(layout.size).fill(Number.NaN));
    const result = await bad.trainer.trainStep(minibatch());
    expect(result.skipped).toMatch(/log-probs of sequence 1 are not finite/);
    expect(bad.trainer.step).toBe(0);
    expect((await bad.params()).every(Number.isNaN)).toBe(true);
  });

  it('refuses PPO inputs that do not fit their response before any work', async () => {
    const backend = await open();
    const { trainer: t, params } = await trainer(backend);
    const before = await params();
    const [first, ...rest] = minibatch();
    const short = { ...first, ppo: { ...first.ppo, mask: [0, 1] } };
    await expect(t.trainStep([short, ...rest])).rejects.toThrow(
      /sequence 1: its PPO inputs hold 2 tokens, its response 5/,
    );
    const wrong = { ...first, ppo: { ...first.ppo, mask: first.responseIds.map(() => 2) } };
    await expect(t.trainStep([wrong])).rejects.toThrow(/mask\[0\] must be 0 or 1/);
    expect(await params()).toEqual(before);
  });
});
