import { describe, expect, it } from 'vitest';
import type { TrainingSequence } from '../core/policy';
import { maskedCrossEntropy } from '../sod/loss';
import { CpuBackend } from './cpu/backend';
import {
  packProjections,
  projectionGrads,
  projectionLayout,
  unpackProjections,
  withTrainedProjections,
  type ProjectionState,
} from './full-training';
import { Qwen3Model } from './model';
import { assembleWeights, randomWeights, type ModelWeights } from './params';
import { tinyConfig } from './testing/tiny';
import { ProjectionTrainer } from './train';
import type { Qwen3Config } from './config';
import type { Floats } from './cpu/floats';

const ids = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3];

/** A model whose projections are views into one trained flat vector. */
function trainableModel(
  b: CpuBackend,
  config: Qwen3Config,
  seed: number,
): { model: Qwen3Model<Floats>; state: ProjectionState<Floats> } {
  const tensors = randomWeights(config, seed);
  const frozen: ModelWeights<Floats> = assembleWeights(config, (name) =>
    b.upload(tensors.get(name) ?? new Float32Array(0), name),
  );
  const layout = projectionLayout(config);
  const state = {
    layout,
    params: b.upload(packProjections(layout, tensors), 'projections'),
    grads: b.zeros(layout.size, 'grads'),
  };
  return { model: new Qwen3Model(b, config, withTrainedProjections(b, frozen, state)), state };
}

describe('full training of the projection weights', () => {
  it('packs and unpacks every projection by its Hugging Face name', () => {
    const tensors = randomWeights(tinyConfig, 4);
    const layout = projectionLayout(tinyConfig);
    expect(layout.slots).toHaveLength(7 * tinyConfig.numLayers);
    for (const slot of layout.slots) expect(slot.offset % 64).toBe(0);
    const back = unpackProjections(layout, packProjections(layout, tensors));
    for (const [name, w] of back) expect(Array.from(w)).toEqual(Array.from(tensors.get(name) ?? []));
  });

  it('matches finite differences for every projection of every layer', async () => {
    const f64 = new CpuBackend(Float64Array);
    const { model, state } = trainableModel(f64, tinyConfig, 5);
    const g = ids.slice(1).map((_, t) => Math.cos(t + 0.5));
    const loss = (lp: ArrayLike<number>) => g.reduce((s, gt, t) => s + gt * lp[t], 0);
    await model.logprobs(ids);
    await model.backward(ids, { weights: projectionGrads(f64, tinyConfig, state) }, Float64Array.from(g));
    const analytic = Float64Array.from(state.grads);
    const h = 1e-6;
    for (const slot of state.layout.slots) {
      for (const i of [slot.offset, slot.offset + slot.outDim * slot.inDim - 1, slot.offset + 5]) {
        const keep = state.params[i];
        state.params[i] = keep + h;
        const up = loss(await model.logprobs(ids));
        state.params[i] = keep - h;
        const down = loss(await model.logprobs(ids));
        state.params[i] = keep;
        const numeric = (up - down) / (2 * h);
        expect(
          Math.abs(analytic[i] - numeric),
          `${slot.target} of layer ${slot.layer}[${i - slot.offset}]: analytic ${analytic[i]} numeric ${numeric}`,
        ).toBeLessThan(1e-6 * Math.max(1, Math.abs(numeric)));
      }
    }
  });

  it('learns a fixed string from random weights', async () => {
    const cpu = new CpuBackend();
    const config = { ...tinyConfig, hiddenSize: 32, intermediateSize: 64, headDim: 8 };
    const { model, state } = trainableModel(cpu, config, 9);
    const trainer = new ProjectionTrainer(model, state, {
      lr: 1e-2,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      weightDecay: 0,
      maxGradNorm: 1,
    });
    const response = [7, 7, 12, 4, 16, 0, 9];
    const mask = response.map(() => 1);
    const seq: TrainingSequence = {
      promptIds: [1, 2, 3],
      responseIds: response,
      loss: (lp) => maskedCrossEntropy(lp, mask),
    };
    const first = await trainer.trainStep([seq]);
    let last = first;
    for (let i = 0; i < 60; i++) last = await trainer.trainStep([seq]);
    expect(last.loss).toBeLessThan(0.05 * first.loss);
  });
});

describe('training with a shared prefix', () => {
  const prefixIds = [3, 1, 4, 1, 5];
  const rest = [9, 2, 6, 5, 3, 5];
  const g = rest.slice(1).map((_, t) => Math.sin(2 * t + 1));

  it('scores the continuation exactly as the whole sequence does', async () => {
    const f64 = new CpuBackend(Float64Array);
    const { model } = trainableModel(f64, tinyConfig, 6);
    const whole = await model.logprobs([...prefixIds, ...rest]);
    const prefix = model.sharedPrefix(prefixIds, undefined, 16);
    const part = await model.logprobs(rest, undefined, prefix);
    for (let t = 0; t < rest.length - 1; t++) expect(part[t]).toBeCloseTo(whole[prefixIds.length + t], 12);
  });

  it('gives the gradient with the prefix keys and values held constant when its backward is skipped (finite differences)', async () => {
    const f64 = new CpuBackend(Float64Array);
    const { model, state } = trainableModel(f64, tinyConfig, 7);
    const prefix = model.sharedPrefix(prefixIds, undefined, 16);
    const loss = (lp: ArrayLike<number>) => g.reduce((s, gt, t) => s + gt * lp[t], 0);
    await model.logprobs(rest, undefined, prefix);
    await model.backward(rest, { weights: projectionGrads(f64, tinyConfig, state) }, Float64Array.from(g), prefix);
    const analytic = Float64Array.from(state.grads);
    const h = 1e-6;
    for (const slot of state.layout.slots) {
      const i = slot.offset + 3;
      const keep = state.params[i];
      state.params[i] = keep + h;
      const up = loss(await model.logprobs(rest, undefined, prefix));
      state.params[i] = keep - h;
      const down = loss(await model.logprobs(rest, undefined, prefix));
      state.params[i] = keep;
      const numeric = (up - down) / (2 * h);
      expect(
        Math.abs(analytic[i] - numeric),
        `${slot.target} of layer ${slot.layer}: analytic ${analytic[i]} numeric ${numeric}`,
      ).toBeLessThan(1e-6 * Math.max(1, Math.abs(numeric)));
    }
  });

  it('with its backward, gives the gradient of the whole sequences, summed over sequences that share it', async () => {
    const f64 = new CpuBackend(Float64Array);
    const { model, state } = trainableModel(f64, tinyConfig, 8);
    const targets = { weights: projectionGrads(f64, tinyConfig, state) };
    const suffixes = [rest, [7, 7, 12], [16, 0, 9, 4, 4]];
    const upstream = (n: number) => Float64Array.from({ length: n - 1 }, (_, t) => Math.cos(3 * t + n));
    // Reference: each whole sequence, its gradient on its own tokens after the prefix only.
    for (const suffix of suffixes) {
      const whole = [...prefixIds, ...suffix];
      await model.logprobs(whole);
      const d = new Float64Array(whole.length - 1);
      d.set(upstream(suffix.length), prefixIds.length);
      await model.backward(whole, targets, d);
    }
    const reference = Float64Array.from(state.grads);
    state.grads.fill(0);
    const prefix = model.sharedPrefix(prefixIds, undefined, 16);
    for (const suffix of suffixes) {
      await model.logprobs(suffix, undefined, prefix);
      await model.backward(suffix, targets, upstream(suffix.length), prefix);
    }
    const frozen = Float64Array.from(state.grads);
    await model.prefixBackward(prefix, targets);
    const scale = Math.max(...Array.from(reference, Math.abs));
    const maxDiff = (a: Float64Array) => Math.max(...Array.from(a, (x, i) => Math.abs(x - reference[i])));
    expect(maxDiff(Float64Array.from(state.grads))).toBeLessThan(1e-12 * scale);
    // What flows back through the prefix is not negligible: holding it constant gives another gradient.
    expect(maxDiff(frozen)).toBeGreaterThan(1e-2 * scale);
  });

  it('reports the same loss as full training and lowers it', async () => {
    const cpu = new CpuBackend();
    const config = { ...tinyConfig, hiddenSize: 32, intermediateSize: 64, headDim: 8 };
    const settings = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, maxGradNorm: 1 };
    const batch: TrainingSequence[] = [
      [7, 7, 12],
      [16, 0, 9, 4],
    ].map((response, i) => ({
      promptIds: [...prefixIds, 10 + i],
      responseIds: response,
      loss: (lp) =>
        maskedCrossEntropy(
          lp,
          response.map(() => 1),
        ),
    }));
    const a = trainableModel(cpu, config, 9);
    const b = trainableModel(cpu, config, 9);
    const full = new ProjectionTrainer(a.model, a.state, settings);
    const frozen = new ProjectionTrainer(b.model, b.state, settings, { sharedPrefix: 'frozen' });
    const first = await frozen.trainStep(batch);
    expect(first.loss).toBeCloseTo((await full.trainStep(batch)).loss, 4);
    let last = first;
    for (let i = 0; i < 30; i++) last = await frozen.trainStep(batch);
    expect(last.loss).toBeLessThan(0.1 * first.loss);
  });
});
