import { describe, expect, it } from 'vitest';
import { gpuAvailable } from '../../tests/support/gpu';
import { CpuBackend } from './cpu/backend';
import { WebGpuBackend } from './webgpu/backend';
import { openEngineDevice } from './webgpu/device';
import { nodeGpu } from './webgpu/node-gpu';
import { allLoraTargets } from './params';
import { planMemory, runWorkload } from './memory-plan';
import { qwen3Config } from './qwen3-sizes';
import { randomModel, tinyConfig } from './testing/tiny';

const workload = { promptTokens: 70, turnTokens: 24, responseTokens: 90, sequencesPerStep: 3 };
const lora = { rank: 4, alpha: 8, targets: allLoraTargets };

describe('planMemory', () => {
  it('matches what the engine allocates on the CPU for the same workload, student and teacher', async () => {
    const config = { ...tinyConfig, maxPositionEmbeddings: 40960 };
    for (const adapter of [lora, undefined]) {
      const plan = await planMemory(config, workload, adapter);
      const cpu = new CpuBackend();
      const model = randomModel(cpu, config, 3);
      await runWorkload(model, workload, adapter);
      expect(Math.abs(plan.totalBytes - cpu.liveBytes) / cpu.liveBytes).toBeLessThan(0.1);
      expect(plan.parts.reduce((n, p) => n + p.bytes, 0)).toBe(plan.totalBytes);
    }
  });

  it('counts f16 matrices at 2 bytes and vectors at 4', async () => {
    const config = qwen3Config('0.6B');
    const f32 = await planMemory(config, workload, undefined, { format: 'f32' });
    const f16 = await planMemory(config, workload, undefined, { format: 'f16' });
    const weights = (plan: typeof f32) => plan.parts.find((p) => p.part === 'weights')?.bytes ?? 0;
    const vectors = (2 * 28 * 1024 + 2 * 28 * 128 + 1024) * 4; // the norms
    expect(weights(f16)).toBe((weights(f32) - vectors) / 2 + vectors);
    expect(f16.vocabularyMatrixBytes).toBe(151936 * 1024 * 2);
  });

  it('sees the real sizes: Qwen3-0.6B in f32, its embedding the largest matrix', async () => {
    const config = qwen3Config('0.6B');
    const plan = await planMemory(
      config,
      { ...workload, promptTokens: 300, responseTokens: 700, turnTokens: 256 },
      lora,
    );
    const weights = plan.parts.find((p) => p.part === 'weights')?.bytes ?? 0;
    // 596 M parameters (the embedding counted once: tied).
    expect(weights / 4 / 1e6).toBeCloseTo(596, -1);
    // The embedding (split by rows on WebGPU when it must be) apart; then an MLP projection.
    expect(plan.vocabularyMatrixBytes).toBe(151936 * 1024 * 4);
    expect(plan.largestTensorBytes).toBe(3072 * 1024 * 4);
    expect(plan.parts.map((p) => p.part)).toEqual(
      expect.arrayContaining([
        'weights',
        'KV caches',
        'activations and scratch',
        'LoRA',
        'AdamW state',
        'shared prompt',
      ]),
    );
    // The KV cache holds the trajectory, not Qwen3's 40960-token context.
    const kv = plan.parts.find((p) => p.part === 'KV caches')?.bytes ?? 0;
    expect(kv).toBeLessThan(2 * 28 * 8 * 128 * 4 * 4096);
  });
});

describe.skipIf(!gpuAvailable)('planMemory against the WebGPU backend', () => {
  // Big enough that the weights dominate as in a real model; small enough for SwiftShader.
  const config = {
    ...tinyConfig,
    hiddenSize: 128,
    intermediateSize: 384,
    headDim: 32,
    vocabSize: 2048,
    maxPositionEmbeddings: 40960,
  };
  const small = { promptTokens: 40, turnTokens: 8, responseTokens: 40, sequencesPerStep: 2 };

  it.each(['f32', 'f16'] as const)(
    'matches what the engine holds on the device (tensors, pooled scratch, RoPE tables), weights %s',
    async (weights) => {
      const device = await openEngineDevice(await nodeGpu());
      for (const adapter of [lora, undefined]) {
        const plan = await planMemory(config, small, adapter, { format: weights });
        const gpu = new WebGpuBackend(device, { weights });
        await runWorkload(randomModel(gpu, config, 3), small, adapter);
        await gpu.flush();
        expect(Math.abs(plan.totalBytes - gpu.liveBytes) / gpu.liveBytes).toBeLessThan(0.1);
      }
    },
    120_000,
  );
});
