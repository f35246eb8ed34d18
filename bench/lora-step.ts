/**
 * One LoRA training step (forward, loss, backward, AdamW) on a 512-token sequence at
 * Qwen3-0.6B's dimensions (random weights in bf16 as Qwen3's checkpoints are, 2 of its 28
 * layers, the full vocabulary), on the CPU backend and on WebGPU (each storing the weights as
 * it does by default) side by side: seconds per step, median of the runs after a warm-up.
 *
 *   npm run bench -- lora-step        (LORA_STEP_RUNS=3 for more runs; LORA_STEP_RECOMPUTED_LOGITS=1 adds
 *                                      the WebGPU step with the LM head's logits recomputed, not kept)
 */
import type { Backend } from '../src/engine/backend';
import { CpuBackend } from '../src/engine/cpu/backend';
import { roundToBf16 } from '../src/engine/half-floats';
import { defaultLoraConfig, initLoraParams, loraLayout } from '../src/engine/lora';
import { createLoraState } from '../src/engine/lora-state';
import { qwen3Config } from '../src/engine/qwen3-sizes';
import { randomModel } from '../src/engine/testing/tiny';
import { LoraTrainer } from '../src/engine/train';
import { WebGpuBackend } from '../src/engine/webgpu/backend';
import { openEngineDevice } from '../src/engine/webgpu/device';
import { nodeGpu } from '../src/engine/webgpu/node-gpu';
import { maskedCrossEntropy } from '../src/sod/loss';
import { median, timeRuns, type BenchReport } from './report';

const tokens = 512;
const promptTokens = 64;
const runs = Number(process.env.LORA_STEP_RUNS ?? 1);
const config = { ...qwen3Config('0.6B', 2), maxPositionEmbeddings: 4096 };

async function secondsPerStep<T>(backend: Backend<T>): Promise<number> {
  const model = randomModel(backend, config, 1, roundToBf16);
  const layout = loraLayout(config, defaultLoraConfig);
  const trainer = new LoraTrainer(model, createLoraState(backend, layout, initLoraParams(layout, 1)));
  const ids = Array.from({ length: tokens }, (_, i) => (i * 7919 + 13) % config.vocabSize);
  const response = ids.slice(promptTokens);
  const mask = response.map(() => 1);
  const seconds = await timeRuns(runs, async () => {
    await trainer.trainStep([
      { promptIds: ids.slice(0, promptTokens), responseIds: response, loss: (lp) => maskedCrossEntropy(lp, mask) },
    ]);
  });
  return median(seconds);
}

export async function benchLoraStep(report: BenchReport): Promise<void> {
  const device = await openEngineDevice(await nodeGpu()).catch(() => undefined);
  report.adapter = device?.adapterName ?? 'none (CPU only)';
  console.log(`LoRA step on ${tokens} tokens, Qwen3-0.6B dimensions (2 layers); median of ${runs} after a warm-up`);
  const cpu = await secondsPerStep(new CpuBackend());
  report.results.push({ name: 'lora step 512 cpu', value: cpu, unit: 's' });
  console.log(`cpu     ${cpu.toFixed(2).padStart(7)} s`);
  if (device === undefined) return;
  const gpu = await secondsPerStep(new WebGpuBackend(device));
  report.results.push({ name: 'lora step 512 webgpu', value: gpu, unit: 's', ratioToCpu: gpu / cpu });
  console.log(`webgpu  ${gpu.toFixed(2).padStart(7)} s   (${report.adapter})   webgpu ÷ cpu ${(gpu / cpu).toFixed(2)}`);
  if (process.env.LORA_STEP_RECOMPUTED_LOGITS === '1') {
    // The same step with the LM head's logits recomputed in the backward rather than kept from the forward.
    const recomputed = await secondsPerStep(new WebGpuBackend(device, { keptLogitsBytes: 0 }));
    report.results.push({ name: 'lora step 512 webgpu, logits recomputed', value: recomputed, unit: 's' });
    console.log(
      `webgpu, logits recomputed ${recomputed.toFixed(2)} s   kept ÷ recomputed ${(gpu / recomputed).toFixed(2)}`,
    );
  }
  device.destroy();
}
