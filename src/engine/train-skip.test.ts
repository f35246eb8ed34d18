import { describe, expect, it } from 'vitest';
import { gpuAvailable } from '../../tests/support/gpu';
import type { TrainingSequence } from '../core/policy';
import { maskedCrossEntropy } from '../sod/loss';
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

const response = [7, 3, 12, 4];
const good: TrainingSequence = {
  promptIds: [1, 2, 3],
  responseIds: response,
  loss: (lp) =>
    maskedCrossEntropy(
      lp,
      response.map(() => 1),
    ),
};
/** A sequence whose loss gives this gradient at every token (finite loss). */
const withGradient = (value: number): TrainingSequence => ({
  ...good,
  loss: (lp) => ({ loss: 1, grad: Float64Array.from(lp, () => value) }),
});

const backends: [string, () => Promise<Backend<unknown>>][] = [['cpu', async () => new CpuBackend()]];
if (gpuAvailable) backends.push(['webgpu', async () => new WebGpuBackend(await openEngineDevice(await nodeGpu()))]);

describe.each(backends)('an optimizer step with NaN or infinite numbers (%s)', (_, open) => {
  /** A trainer after one ordinary step (so its moments and step count are not zero). */
  async function trained(backend: Backend<unknown>) {
    const model = randomModel(backend, tinyConfig, 13);
    const layout = loraLayout(tinyConfig, { rank: 4, alpha: 8, targets: allLoraTargets });
    const lora = createLoraState(backend, layout, initLoraParams(layout, 3));
    const trainer = new LoraTrainer(model, lora, {
      lr: 1e-2,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      weightDecay: 0.01,
      maxGradNorm: 1,
    });
    await trainer.trainStep([good]);
    const params = async () => Array.from(await backend.read(lora.params, layout.size));
    return { trainer, params };
  }

  it.each([
    ['a NaN loss', { ...good, loss: () => ({ loss: Number.NaN, grad: new Float64Array(4) }) }, /the loss is NaN/],
    ['a NaN gradient', withGradient(Number.NaN), /the gradient norm is NaN/],
    ['an infinite gradient', withGradient(Number.POSITIVE_INFINITY), /the gradient norm is (NaN|Infinity)/],
  ] as const)('skips the step at %s and leaves the adapter and optimizer as they were', async (_case, bad, reason) => {
    const backend = await open();
    const skipping = await trained(backend);
    const before = await skipping.params();
    const result = await skipping.trainer.trainStep([bad]);
    expect(result.skipped).toMatch(reason);
    expect(await skipping.params()).toEqual(before);
    // The moments and the step count are as before too: the next step lands where it would have without the skipped one.
    const straight = await trained(backend);
    await skipping.trainer.trainStep([good]);
    await straight.trainer.trainStep([good]);
    expect(await skipping.params()).toEqual(await straight.params());
  });

  it('skips a sequence whose log-probs are not finite before its loss sees them', async () => {
    const backend = await open();
    const model = randomModel(backend, tinyConfig, 13);
    const layout = loraLayout(tinyConfig, { rank: 4, alpha: 8, targets: allLoraTargets });
    // An adapter gone bad: every log-prob through it is NaN.
    const lora = createLoraState(backend, layout, new Float32Array(layout.size).fill(Number.NaN));
    let called = false;
    const result = await new LoraTrainer(model, lora).trainStep([
      {
        ...good,
        loss: (lp) => {
          called = true;
          return good.loss(lp);
        },
      },
    ]);
    expect(result.skipped).toMatch(/the log-prob of response token 0 is NaN/);
    expect(called).toBe(false);
  });
});
