import { describe, expect, it } from 'vitest';
import { defaultSampling, type GeneratedToken } from '../../core/policy';
import { maskedCrossEntropy, ppoLoss } from '../../sod/loss';
import { gpuAvailable, maxError } from '../../../tests/support/gpu';
import { CpuBackend } from '../cpu/backend';
import { roundToBf16, roundToHalf } from '../half-floats';
import type { WeightFormat } from '../backend-types';
import type { Backend } from '../backend';
import { EnginePolicy } from '../inference';
import { initLoraParams, loraLayout, type LoraConfig } from '../lora';
import { Qwen3Model, type LoraState } from '../model';
import { packProjections, projectionLayout, withTrainedProjections } from '../full-training';
import { allLoraTargets, assembleWeights, randomWeights, seededRandom } from '../params';
import { randomModel, tinyConfig } from '../testing/tiny';
import type { TrainingSequence } from '../../core/policy';
import { LoraTrainer, ProjectionTrainer } from '../train';
import { WebGpuBackend } from './backend';
import { openEngineDevice } from './device';
import { nodeGpu } from './node-gpu';
import { createLoraState } from '../lora-state';

const loraConfig: LoraConfig = { rank: 4, alpha: 8, targets: allLoraTargets };
// A little wider than the tiny model so every kernel sees rows of more than one tile.
const config = { ...tinyConfig, hiddenSize: 64, intermediateSize: 96, headDim: 16, vocabSize: 300, numLayers: 2 };

function lora<T>(backend: Backend<T>): LoraState<T> {
  const layout = loraLayout(config, loraConfig);
  const params = initLoraParams(layout, 9);
  const rand = seededRandom(10);
  for (const slot of layout.slots)
    for (let i = 0; i < slot.outDim * loraConfig.rank; i++) params[slot.bOffset + i] = 0.05 * rand();
  return createLoraState(backend, layout, params);
}

interface OnBackend<T> {
  backend: Backend<T>;
  model: Qwen3Model<T>;
  lora: LoraState<T>;
}

/** The LoRA gradients of the same upstream gradient on both backends agree to 2e-3 of the largest. */
async function expectSameLoraGradients<G, C>(gpu: OnBackend<G>, cpu: OnBackend<C>, ids: number[]): Promise<void> {
  const g = Float64Array.from({ length: ids.length - 1 }, (_, t) => Math.cos(t));
  await gpu.model.backward(ids, { lora: gpu.lora }, g);
  await cpu.model.backward(ids, { lora: cpu.lora }, g);
  const gradGpu = await gpu.backend.read(gpu.lora.grads, gpu.lora.layout.size);
  const gradCpu = await cpu.backend.read(cpu.lora.grads, cpu.lora.layout.size);
  const scale = Math.max(...Array.from(gradCpu, Math.abs));
  expect(maxError(gradGpu, gradCpu).abs / scale).toBeLessThan(2e-3);
}

async function collect(stream: AsyncIterable<GeneratedToken>): Promise<number[]> {
  const ids: number[] = [];
  for await (const t of stream) ids.push(t.id);
  return ids;
}

// Tolerances: f32 on both sides with different summation orders; log-probs to 2e-4 absolute,
// LoRA gradients and updated adapters to 2e-3 relative of the largest entry.
describe.skipIf(!gpuAvailable)('the WebGPU backend against the CPU reference, whole model', () => {
  const ids = Array.from({ length: 70 }, (_, i) => (i * 37 + 11) % config.vocabSize);

  async function both() {
    const gpu = new WebGpuBackend(await openEngineDevice(await nodeGpu()));
    const cpu = new CpuBackend();
    return { gpu, cpu, gpuModel: randomModel(gpu, config, 3), cpuModel: randomModel(cpu, config, 3) };
  }

  it('gives the same log-probs and LoRA gradients (GQA, head_dim ≠ hidden/heads)', async () => {
    const { gpu, cpu, gpuModel, cpuModel } = await both();
    const gpuLora = lora(gpu);
    const cpuLora = lora(cpu);
    const lpGpu = await gpuModel.logprobs(ids, gpuLora);
    const lpCpu = await cpuModel.logprobs(ids, cpuLora);
    expect(maxError(lpGpu, lpCpu).abs).toBeLessThan(2e-4);
    await expectSameLoraGradients(
      { backend: gpu, model: gpuModel, lora: gpuLora },
      { backend: cpu, model: cpuModel, lora: cpuLora },
      ids,
    );
  }, 120_000);

  it('refuses a token id outside the vocabulary, as the CPU does, instead of reading another row', async () => {
    const { gpuModel } = await both();
    await expect(gpuModel.logprobs([1, 2, config.vocabSize])).rejects.toThrow(
      `token id ${config.vocabSize} at position 2 is outside the vocabulary of ${config.vocabSize}`,
    );
    const policy = new EnginePolicy('gpu', gpuModel);
    await expect(collect(policy.generate({ inputIds: [-1], sampling: defaultSampling }))).rejects.toThrow(
      'token id -1 at position 0',
    );
  });

  it('samples the same tokens with the same seed', async () => {
    const { gpuModel, cpuModel } = await both();
    const sampling = { ...defaultSampling, temperature: 0.7, topK: 20, seed: 5, maxNewTokens: 12 };
    const a = await collect(new EnginePolicy('gpu', gpuModel).generate({ inputIds: ids.slice(0, 9), sampling }));
    const b = await collect(new EnginePolicy('cpu', cpuModel).generate({ inputIds: ids.slice(0, 9), sampling }));
    expect(a).toEqual(b);
  }, 120_000);

  it('takes the same SOD training step: the adapters agree after two updates', async () => {
    const { gpu, cpu, gpuModel, cpuModel } = await both();
    const prompt = ids.slice(0, 10);
    const response = ids.slice(10, 40);
    const mask = response.map((_, t) => (t >= 12 && t < 18 ? 0 : 1));
    const advantages = response.map((_, t) => 0.5 * Math.sin(t));
    const run = async <T>(backend: Backend<T>, model: Qwen3Model<T>) => {
      const state = lora(backend);
      const trainer = new LoraTrainer(model, state, {
        lr: 1e-2,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weightDecay: 0.01,
        maxGradNorm: 1,
      });
      const old = Float64Array.from(
        (await model.logprobs([...prompt, ...response], state)).subarray(prompt.length - 1),
      );
      const seq: TrainingSequence = {
        promptIds: prompt,
        responseIds: response,
        loss: (lp) => ppoLoss({ logprobs: lp, oldLogprobs: old, advantages, mask }),
      };
      const first = await trainer.trainStep([seq]);
      await trainer.trainStep([seq]);
      return { params: await backend.read(state.params, state.layout.size), first };
    };
    const onGpu = await run(gpu, gpuModel);
    const onCpu = await run(cpu, cpuModel);
    expect(Math.abs(onGpu.first.loss - onCpu.first.loss)).toBeLessThan(1e-4);
    expect(Math.abs(onGpu.first.gradNorm - onCpu.first.gradNorm) / onCpu.first.gradNorm).toBeLessThan(2e-3);
    const scale = Math.max(...Array.from(onCpu.params, Math.abs));
    expect(maxError(onGpu.params, onCpu.params).abs / scale).toBeLessThan(2e-3);
  }, 120_000);

  it.each(['exact', 'frozen'] as const)(
    'trains every projection from a shared prompt prefix (%s): the weights agree after two steps',
    async (sharedPrefix) => {
      const { gpu, cpu } = await both();
      const tensors = randomWeights(config, 3);
      const batch: TrainingSequence[] = [0, 1, 2].map((i) => {
        const response = ids.slice(30 + i, 50 + i);
        return {
          promptIds: [...ids.slice(0, 20), ...ids.slice(60 + i, 63 + i)],
          responseIds: response,
          loss: (lp) =>
            maskedCrossEntropy(
              lp,
              response.map(() => 1),
              60,
            ),
        };
      });
      const run = async <T>(backend: Backend<T>) => {
        const layout = projectionLayout(config);
        const state = {
          layout,
          params: backend.upload(packProjections(layout, tensors), 'projections'),
          grads: backend.zeros(layout.size, 'grads'),
        };
        const frozen = assembleWeights(config, (name) =>
          backend.upload(tensors.get(name) ?? new Float32Array(0), name),
        );
        const trainer = new ProjectionTrainer(
          new Qwen3Model(backend, config, withTrainedProjections(backend, frozen, state)),
          state,
          { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, maxGradNorm: 1 },
          { sharedPrefix },
        );
        const first = await trainer.trainStep(batch);
        await trainer.trainStep(batch);
        return { params: await backend.read(state.params, layout.size), first };
      };
      const onGpu = await run(gpu);
      const onCpu = await run(cpu);
      expect(Math.abs(onGpu.first.loss - onCpu.first.loss)).toBeLessThan(1e-4);
      expect(Math.abs(onGpu.first.gradNorm - onCpu.first.gradNorm) / onCpu.first.gradNorm).toBeLessThan(2e-3);
      const scale = Math.max(...Array.from(onCpu.params, Math.abs));
      expect(maxError(onGpu.params, onCpu.params).abs / scale).toBeLessThan(2e-3);
    },
    120_000,
  );
});

describe.skipIf(!gpuAvailable)(
  'a vocabulary above the binding limit, split by rows; weights in f32, f16 and bf16',
  () => {
    // 4096 × 64 in f32 is 1 MiB; with a 256 KiB binding limit the embedding and the head each go in
    // 4 buffers in f32, 2 in f16 or bf16.
    const split = { ...config, vocabSize: 4096 };
    const ids = Array.from({ length: 40 }, (_, i) => (i * 997 + 5) % split.vocabSize);
    // [storage, tied, a checkpoint saved in bf16, the embedding's shards, bytes per matrix value]
    const cases: [WeightFormat, boolean, boolean, number[], number][] = [
      ['f32', true, false, [1024, 1024, 1024, 1024], 4],
      ['f32', false, false, [1024, 1024, 1024, 1024], 4],
      ['f16', true, false, [2048, 2048], 2],
      ['f16', false, false, [2048, 2048], 2],
      ['bf16', true, true, [2048, 2048], 2],
      ['bf16', false, true, [2048, 2048], 2],
      // bf16 rounds nothing: values that are not bf16 stay f32.
      ['bf16', false, false, [1024, 1024, 1024, 1024], 4],
    ];

    it.each(cases)(
      'weights %s (tied %s, saved in bf16 %s): the CPU’s log-probs, decode logits and LoRA gradients on the same weight values',
      async (weights, tied, savedInBf16, shardRows, bytesPerValue) => {
        const c = { ...split, tieWordEmbeddings: tied };
        const gpu = new WebGpuBackend(await openEngineDevice(await nodeGpu()), { maxBindingBytes: 256 << 10, weights });
        const cpu = new CpuBackend();
        const before = gpu.liveBytes;
        const saved = savedInBf16 ? roundToBf16 : undefined;
        const gpuModel = randomModel(gpu, c, 4, saved);
        // f16 storage rounds each matrix value; the reference holds the rounded values in f32.
        const cpuModel = randomModel(cpu, c, 4, weights === 'f16' ? roundToHalf : saved);
        const embed = gpuModel.weights.embed;
        expect('shards' in embed ? embed.shards.map((sh) => sh.rows) : []).toEqual(shardRows);
        expect(gpu.liveBytes - before).toBe(weightBytes(cpuModel, bytesPerValue));
        const gpuLora = lora(gpu);
        const cpuLora = lora(cpu);
        expect(maxError(await gpuModel.logprobs(ids, gpuLora), await cpuModel.logprobs(ids, cpuLora)).abs).toBeLessThan(
          2e-4,
        );
        await expectSameLoraGradients(
          { backend: gpu, model: gpuModel, lora: gpuLora },
          { backend: cpu, model: cpuModel, lora: cpuLora },
          ids,
        );
        // Greedy decoding reads the split head one row at a time: the same tokens as on the CPU.
        const greedy = { ...defaultSampling, temperature: 0, maxNewTokens: 6 };
        const onGpu = await collect(
          new EnginePolicy('g', gpuModel, gpuLora).generate({ inputIds: ids.slice(0, 9), sampling: greedy }),
        );
        const onCpu = await collect(
          new EnginePolicy('c', cpuModel, cpuLora).generate({ inputIds: ids.slice(0, 9), sampling: greedy }),
        );
        expect(onGpu).toEqual(onCpu);
      },
      120_000,
    );
  },
);

/** Bytes of a CPU model's weights (each distinct tensor once), matrices at `matrixBytes` per value. */
function weightBytes(model: Qwen3Model<Float32Array | Float64Array>, matrixBytes: number): number {
  const w = model.weights;
  const vectors = new Set([w.finalNorm, ...w.layers.flatMap((l) => [l.inputNorm, l.postNorm, l.qNorm, l.kNorm])]);
  const tensors = new Set([w.embed, w.lmHead, w.finalNorm, ...w.layers.flatMap((l) => Object.values(l))]);
  return [...tensors].reduce((n, t) => n + t.length * (vectors.has(t) ? 4 : matrixBytes), 0);
}
