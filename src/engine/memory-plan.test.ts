import { describe, expect, it } from 'vitest';
import { CpuBackend } from './cpu/backend';
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
