import { describe, expect, it } from 'vitest';
import { gpuAvailable, maxError } from '../../tests/support/gpu';
import type { WeightStorage } from './backend';
import { CpuBackend, QuantizedCpuBackend } from './cpu/backend';
import { planMemory } from './memory-plan';
import { dequantizeRows, quantizeRows, type QuantFormat } from './quantize';
import { randomModel, tinyConfig } from './testing/tiny';
import { WebGpuBackend } from './webgpu/backend';
import { openEngineDevice } from './webgpu/device';
import { nodeGpu } from './webgpu/node-gpu';

// Real Qwen3 widths are multiples of 128; these are multiples of 32 so int4 groups of 32 fit.
const config = { ...tinyConfig, hiddenSize: 64, intermediateSize: 96, headDim: 32, vocabSize: 320, numLayers: 2 };
const ids = Array.from({ length: 40 }, (_, i) => (i * 37 + 11) % config.vocabSize);
const formats: [QuantFormat, number][] = [
  ['int8', 32],
  ['int4', 32],
];

/** The matrices as a quantized backend holds them, dequantized: what its kernels compute with. */
const dequantized = (format: QuantFormat, groupSize: number) => (w: Float32Array, rows: number) =>
  dequantizeRows(quantizeRows(w, rows, format, groupSize, 'w'));

describe('a model whose matrices are quantized as they load (a teacher)', () => {
  it.each(formats)(
    '%s (groups of %i) on the CPU scores as the f32 model with the dequantized weights',
    async (format, groupSize) => {
      const quantized = new QuantizedCpuBackend(format, groupSize);
      const onQuantized = await randomModel(quantized, config, 3).logprobs(ids);
      const reference = await randomModel(new CpuBackend(), config, 3, dequantized(format, groupSize)).logprobs(ids);
      expect(maxError(onQuantized, reference).abs).toBeLessThan(1e-5);
      const f32 = await randomModel(new CpuBackend(), config, 3).logprobs(ids);
      expect(maxError(onQuantized, f32).abs).toBeGreaterThan(1e-4); // the rounding is real
    },
  );

  it('holds the bytes the memory plan counts for it', async () => {
    for (const [format, groupSize] of formats) {
      const storage: WeightStorage = { format, groupSize };
      const backend = new QuantizedCpuBackend(format, groupSize);
      randomModel(backend, config, 3);
      const workload = { promptTokens: 8, turnTokens: 1, responseTokens: 8, sequencesPerStep: 1 };
      const plan = await planMemory(config, workload);
      const planned = await planMemory(config, workload, undefined, storage);
      const weights = (p: typeof plan) => p.parts.find((part) => part.part === 'weights')?.bytes ?? 0;
      expect(weights(planned)).toBe(backend.liveBytes);
      expect(weights(planned)).toBeLessThan(weights(plan) / (format === 'int8' ? 3 : 5));
    }
  });

  it('refuses the backward through a quantized weight, which only a training student would need', async () => {
    const model = randomModel(new QuantizedCpuBackend('int8'), config, 3);
    await expect(model.backward(ids, {}, new Float64Array(ids.length - 1).fill(1))).rejects.toThrow(
      /a quantized matrix is read only as a Linear weight/,
    );
  });
});

describe.skipIf(!gpuAvailable)('quantized weights on WebGPU against the CPU’s packed kernels', () => {
  it.each([
    ['int8', 32, undefined],
    ['int4', 32, undefined],
    // The embedding and head split over buffers: 320 rows of 64 in int4 take 12.5 KiB.
    ['int4', 32, 8 << 10],
  ] as const)(
    '%s (groups of %i, binding limit %s): the same log-probs, the same bytes',
    async (format, groupSize, limit) => {
      const device = await openEngineDevice(await nodeGpu());
      const gpu = new WebGpuBackend(device, {
        weights: format,
        groupSize,
        ...(limit ? { maxBindingBytes: limit } : {}),
      });
      const cpu = new QuantizedCpuBackend(format, groupSize);
      const gpuModel = randomModel(gpu, config, 3);
      const cpuModel = randomModel(cpu, config, 3);
      // The norms are f32 on both; the packed words and scales are the same bytes.
      expect(gpu.liveBytes).toBe(cpu.liveBytes);
      if (limit !== undefined) expect('shards' in gpuModel.weights.embed).toBe(true);
      expect(maxError(await gpuModel.logprobs(ids), await cpuModel.logprobs(ids)).abs).toBeLessThan(2e-4);
    },
    60_000,
  );
});
