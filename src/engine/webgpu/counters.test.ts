import { describe, expect, it } from 'vitest';
import { defaultSampling, type SamplingSettings } from '../../core/policy';
import { defaultPpoSettings, maskedCrossEntropy } from '../../sod/loss';
import { gpuAvailable } from '../../../tests/support/gpu';
import { Decoder, EnginePolicy } from '../inference';
import { initLoraParams, loraLayout } from '../lora';
import { createLoraState } from '../lora-state';
import { allLoraTargets } from '../params';
import { randomModel, tinyConfig } from '../testing/tiny';
import { Qwen3Model } from '../model';
import { LoraTrainer } from '../train';
import type { TrainingSequence } from '../../core/policy';
import { WebGpuBackend } from './backend';
import { countersSince, type GpuCounters } from './context';
import { openEngineDevice } from './device';
import { nodeGpu } from './node-gpu';

const config = { ...tinyConfig, hiddenSize: 64, intermediateSize: 96, headDim: 16, vocabSize: 300, numLayers: 2 };

async function gpuModel(options: { decodeStepsPerRead?: number; keptLogitsBytes?: number } = {}) {
  const gpu = new WebGpuBackend(await openEngineDevice(await nodeGpu()), options);
  return { gpu, model: randomModel(gpu, config, 3) };
}

/** The tokens of one generate call and what each cost, from the call's start to its yield. */
async function decode(
  gpu: WebGpuBackend,
  policy: EnginePolicy<unknown>,
  sampling: SamplingSettings,
): Promise<{ ids: number[]; costs: GpuCounters[] }> {
  const ids: number[] = [];
  const costs: GpuCounters[] = [];
  let last = gpu.ctx.snapshot();
  for await (const token of policy.generate({ inputIds: [1, 2, 3, 4, 5], sampling })) {
    const now = gpu.ctx.snapshot();
    costs.push(countersSince(now, last));
    ids.push(token.id);
    last = now;
  }
  return { ids, costs };
}

// Counts, not times: they are the same on every run and every adapter.
describe.skipIf(!gpuAvailable)('what the WebGPU backend asks of the GPU', () => {
  // Per token of this 2-layer model: the embedding, 17 dispatches a layer, the final norm, the
  // LM head and the sampling kernel. One submit and one read of (id, log-prob); no new buffer.
  const perToken: GpuCounters = { dispatches: 38, submits: 1, readbacks: 1, bytesRead: 8, buffers: 0, bindGroups: 0 };

  it('decodes each token in one submit and one 8-byte read, creating no buffer or bind group once warm', async () => {
    const { gpu, model } = await gpuModel();
    const policy = new EnginePolicy('p', model) as EnginePolicy<unknown>;
    const sampling = { ...defaultSampling, temperature: 0, maxNewTokens: 6 };
    const { costs } = await decode(gpu, policy, sampling);
    expect(costs).toHaveLength(6);
    // The first token also feeds the prompt (the same dispatches over 5 rows); the first tokens
    // create the pooled scratch and bind groups of the prefill and of the one-row path.
    const calls = (cost: GpuCounters) => ({ ...cost, buffers: 0, bindGroups: 0 });
    for (const cost of costs.slice(0, 3)) expect(calls(cost)).toEqual(perToken);
    for (const cost of costs.slice(3)) expect(cost).toEqual(perToken);
    // A second call, sampling: the prompt's ids are its one new buffer (and bind group); the rest is cached.
    const again = await decode(gpu, policy, { ...sampling, temperature: 0.8, topK: 20, topP: 0.9, seed: 3 });
    expect(again.costs[0]).toEqual({ ...perToken, buffers: 1, bindGroups: 1 });
    for (const cost of again.costs.slice(1)) expect(cost).toEqual(perToken);
  }, 120_000);

  it('samples reproducibly: the same seed gives the same tokens, another seed others', async () => {
    const { gpu, model } = await gpuModel();
    const policy = new EnginePolicy('p', model) as EnginePolicy<unknown>;
    // This random model is sure of its next token (log-prob ≈ −0.01): a high temperature spreads it.
    const sampling = { ...defaultSampling, temperature: 20, topK: 40, topP: 0.95, maxNewTokens: 12 };
    const a = await decode(gpu, policy, { ...sampling, seed: 7 });
    const b = await decode(gpu, policy, { ...sampling, seed: 7 });
    const c = await decode(gpu, policy, { ...sampling, seed: 8 });
    expect(b.ids).toEqual(a.ids);
    expect(c.ids).not.toEqual(a.ids);
  }, 120_000);

  it('stops after a stop token and at maxNewTokens', async () => {
    const { gpu, model } = await gpuModel();
    const policy = new EnginePolicy('p', model) as EnginePolicy<unknown>;
    const sampling = { ...defaultSampling, temperature: 20, seed: 4, maxNewTokens: 10 };
    const { ids } = await decode(gpu, policy, sampling);
    expect(ids).toHaveLength(10);
    const stopAt = ids.indexOf(ids[4]);
    const stopped = await decode(gpu, policy, { ...sampling, stopTokenIds: [ids[4]] });
    expect(stopped.ids).toEqual(ids.slice(0, stopAt + 1));
  }, 120_000);

  it('records 4 decode steps per submit and read where the backend takes 4, and gives the same tokens', async () => {
    const one = await gpuModel({ decodeStepsPerRead: 1 });
    const four = await gpuModel({ decodeStepsPerRead: 4 });
    const policies = [one, four].map(({ model }) => new EnginePolicy('p', model) as EnginePolicy<unknown>);
    const sampling = { ...defaultSampling, temperature: 0, maxNewTokens: 10 };
    const { ids, costs } = await decode(four.gpu, policies[1], sampling);
    expect(ids).toEqual((await decode(one.gpu, policies[0], sampling)).ids);
    // Steps 0–3, 4–7 and 8–9 (maxNewTokens): a submit and a read of each step's (id, log-prob) at
    // the first token of each; the tokens after it cost nothing more.
    const io = costs.map(({ submits, readbacks, bytesRead }) => [submits, readbacks, bytesRead]);
    expect(io).toEqual([
      [1, 1, 32],
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
      [1, 1, 32],
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
      [1, 1, 16],
      [0, 0, 0],
    ]);
    expect(costs[4].dispatches).toBe(4 * perToken.dispatches);
    expect(costs[8].dispatches).toBe(2 * perToken.dispatches);
    // Sampling from the same seed, and a stop token inside a group of 4: the same tokens, and the
    // cache keeps only what was fed before the stop, so the next call (the turn continued) agrees too.
    const sampled = { ...sampling, temperature: 20, topK: 40, topP: 0.95, seed: 7 };
    const streams = [
      (await decode(one.gpu, policies[0], sampled)).ids,
      (await decode(four.gpu, policies[1], sampled)).ids,
    ];
    expect(streams[1]).toEqual(streams[0]);
    const stop = streams[0][5];
    const stopped = [];
    for (const policy of policies) {
      const first: number[] = [];
      for await (const token of policy.generate({
        inputIds: [1, 2, 3, 4, 5],
        sampling: { ...sampled, stopTokenIds: [stop] },
      }))
        first.push(token.id);
      const next: number[] = [];
      const inputIds = [1, 2, 3, 4, 5, ...first, 9, 8];
      for await (const token of policy.generate({ inputIds, sampling: { ...sampling, maxNewTokens: 6 } }))
        next.push(token.id);
      stopped.push({ first, next });
    }
    expect(stopped[0].first).toEqual(streams[0].slice(0, streams[0].indexOf(stop) + 1));
    expect(stopped[1]).toEqual(stopped[0]);
  }, 120_000);

  it('leaves in the cache the ids it fed: the input and every sampled token but the last', async () => {
    const { model } = await gpuModel({ decodeStepsPerRead: 4 });
    const decoder = new Decoder(model);
    const cache = decoder.newCache(64);
    // A high temperature, so that the tokens differ (greedy, this random model repeats one).
    const hot = { temperature: 20, topK: 40, topP: 1 };
    const tokens = await decoder.sample(cache, [1, 2, 3], hot, [0.1, 0.7, 0.4, 0.9]);
    expect(new Set(tokens.map((t) => t.id)).size).toBeGreaterThan(2);
    expect(cache.ids).toEqual([1, 2, 3, ...tokens.slice(0, 3).map((t) => t.id)]);
    const more = await decoder.sample(cache, [tokens[3].id], hot, [0.2, 0.6], true);
    expect(cache.ids).toEqual([1, 2, 3, ...[...tokens, more[0]].map((t) => t.id)]);
    await expect(decoder.sample(cache, [1], hot, [0, 0, 0, 0, 0])).rejects.toThrow(
      'sample: 5 steps; this backend records 1 to 4 per read',
    );
    decoder.release();
  });

  it('refuses a decodeStepsPerRead that is not a positive integer, naming it', async () => {
    const device = await openEngineDevice(await nodeGpu());
    expect(() => new WebGpuBackend(device, { decodeStepsPerRead: 0 })).toThrow(
      'webgpu: decodeStepsPerRead must be a positive integer, got 0',
    );
  });

  // Each layer's forward is 24 dispatches; keeping the activations spares the backward that again,
  // and keeping the logits spares it the LM head's product (one dispatch for this one chunk).
  it.each([
    ['activations and logits kept', 2 ** 30, undefined, 149],
    ['activations recomputed', 0, undefined, 197],
    ['logits recomputed', 2 ** 30, 0, 150],
  ])(
    'takes a LoRA training step in a fixed number of dispatches, submits and reads, creating nothing once warm (%s)',
    async (_, keptActivationBytes, keptLogitsBytes, dispatches) => {
      const { gpu, model: random } = await gpuModel({ keptLogitsBytes });
      const model = new Qwen3Model(gpu, config, random.weights, keptActivationBytes);
      const layout = loraLayout(config, { rank: 4, alpha: 8, targets: allLoraTargets });
      const trainer = new LoraTrainer(model, createLoraState(gpu, layout, initLoraParams(layout, 1)));
      const response = Array.from({ length: 20 }, (_, i) => (i * 37) % config.vocabSize);
      const seq: TrainingSequence = {
        promptIds: [1, 2, 3, 4],
        responseIds: response,
        loss: (lp) =>
          maskedCrossEntropy(
            lp,
            response.map(() => 1),
          ),
      };
      await trainer.trainStep([seq]);
      const cached = gpu.ctx.cachedBindGroups;
      for (let step = 0; step < 2; step++) {
        const before = gpu.ctx.snapshot();
        await trainer.trainStep([seq]);
        // The two reads are the response's log-probs (20 values) and the gradient norm (4 values).
        // The pool hands the same scratch and uniform buffers back, so every bind group is found again.
        const cost = countersSince(gpu.ctx.snapshot(), before);
        expect(cost).toEqual({
          dispatches,
          submits: 4,
          readbacks: 2,
          bytesRead: 96,
          buffers: 0,
          bindGroups: 0,
        });
        console.log(`training step: ${JSON.stringify(cost)}`);
      }
      expect(gpu.ctx.cachedBindGroups).toBe(cached);
    },
    120_000,
  );

  it('forgets the bind groups of a released tensor once its buffer is destroyed', async () => {
    const gpu = new WebGpuBackend(await openEngineDevice(await nodeGpu()));
    const x = gpu.upload(new Float32Array(64).fill(1), 'x');
    const before = gpu.ctx.cachedBindGroups;
    for (let i = 0; i < 3; i++) {
      const delta = gpu.upload(new Float32Array(64).fill(i), `delta ${i}`);
      gpu.add({ x, delta, n: 64 });
      await gpu.flush();
      expect(gpu.ctx.cachedBindGroups).toBe(before + 1);
      gpu.release(delta);
      await gpu.flush();
      expect(gpu.ctx.cachedBindGroups).toBe(before);
    }
    expect(Array.from(await gpu.read(x, 2))).toEqual([4, 4]);
  }, 120_000);

  it('reads back once per PPO optimizer step, however many sequences it has', async () => {
    const { gpu, model } = await gpuModel();
    const layout = loraLayout(config, { rank: 4, alpha: 8, targets: allLoraTargets });
    const trainer = new LoraTrainer(model, createLoraState(gpu, layout, initLoraParams(layout, 1)));
    const sequence = (salt: number): TrainingSequence => {
      const response = Array.from({ length: 20 }, (_, i) => (i * 37 + salt) % config.vocabSize);
      return {
        promptIds: [1, 2, 3, 4],
        responseIds: response,
        ppo: {
          oldLogprobs: response.map(() => -5.7),
          advantages: response.map(() => (salt % 2 === 0 ? 1 : -1)),
          mask: response.map(() => 1),
          settings: defaultPpoSettings,
          tokenCount: 60,
        },
      };
    };
    const batch = [sequence(0), sequence(1), sequence(2)];
    await trainer.trainStep(batch);
    const before = gpu.ctx.snapshot();
    const step = await trainer.trainStep(batch);
    expect(step.skipped).toBeUndefined();
    const cost = countersSince(gpu.ctx.snapshot(), before);
    // The three sequences' figures (5 values each) and the gradient norm, together.
    expect({ readbacks: cost.readbacks, bytesRead: cost.bytesRead }).toEqual({ readbacks: 1, bytesRead: 64 });
    console.log(`PPO training step of 3 sequences: ${JSON.stringify(cost)}`);
  }, 120_000);
});
