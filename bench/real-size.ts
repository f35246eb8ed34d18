/**
 * A real-size model through the whole engine path: a random Qwen3-0.6B folder (all 28 layers,
 * bf16, tied, sharded, written by make:random-qwen3's code) loaded from disk on the CPU and on
 * WebGPU, then prefill and decode speed and one LoRA training step. Reports load time, the
 * process's peak memory and the engine's own byte count beside the memory plan. On WebGPU it
 * also measures the device's copy bandwidth and gives decode as a share of that roofline.
 *
 *   npm run bench -- real-size
 *   REAL_SIZE_TOKENS=64 REAL_SIZE_LAYERS=28 REAL_SIZE_DECODE=8 REAL_SIZE_BACKENDS=cpu,webgpu,webgpu-f16 npm run bench -- real-size
 *
 * Backends: cpu; webgpu (its default weight format: f16 where the adapter has shader-f16);
 * webgpu-f32 and webgpu-f16 (that format). The process peak is the whole run's so far.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultSampling } from '../src/core/policy';
import type { Backend } from '../src/engine/backend';
import { CpuBackend } from '../src/engine/cpu/backend';
import { EnginePolicy } from '../src/engine/inference';
import { loadQwen3 } from '../src/engine/load';
import { initLoraParams, loraLayout } from '../src/engine/lora';
import { createLoraState } from '../src/engine/lora-state';
import { planMemory } from '../src/engine/memory-plan';
import { folderFiles } from '../src/engine/node-files';
import { qwen3Config } from '../src/engine/qwen3-sizes';
import { LoraTrainer } from '../src/engine/train';
import { allLoraTargets } from '../src/engine/params';
import { WebGpuBackend } from '../src/engine/webgpu/backend';
import { openEngineDevice } from '../src/engine/webgpu/device';
import { nodeGpu } from '../src/engine/webgpu/node-gpu';
import { writeRandomQwen3Folder } from '../src/models/testing/random-qwen3';
import { maskedCrossEntropy } from '../src/sod/loss';
import { formatBytes } from '../src/core/format-bytes';
import type { BenchReport } from './report';

const tokens = Number(process.env.REAL_SIZE_TOKENS ?? 512);
const layers = Number(process.env.REAL_SIZE_LAYERS ?? 28);
const decodeTokens = Number(process.env.REAL_SIZE_DECODE ?? 8);
const backends = (process.env.REAL_SIZE_BACKENDS ?? 'cpu,webgpu').split(',');

/** What the roofline needs from a run: its decode rate and the bytes of its weights (read once per decoded token). */
interface RunFigures {
  decode: number;
  weightBytes: number;
}

/**
 * The device's memory bandwidth as copyBufferToBuffer moves it (bytes read plus bytes written
 * per second): 8 copies of 256 MiB (or the largest buffer the device allows) in one submit,
 * the median of 3 after a warm-up.
 */
async function copyBandwidth(device: GPUDevice): Promise<number> {
  const bytes = Math.min(256 * 2 ** 20, device.limits.maxBufferSize) & ~3;
  const usage = GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const [src, dst] = [device.createBuffer({ size: bytes, usage }), device.createBuffer({ size: bytes, usage })];
  const copies = 8;
  const time = async () => {
    const t0 = performance.now();
    const encoder = device.createCommandEncoder();
    for (let i = 0; i < copies; i++) encoder.copyBufferToBuffer(src, 0, dst, 0, bytes);
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
    return (performance.now() - t0) / 1000;
  };
  await time();
  const seconds = [await time(), await time(), await time()].sort((a, b) => a - b)[1];
  src.destroy();
  dst.destroy();
  return (2 * bytes * copies) / seconds;
}

async function run<T>(name: string, backend: Backend<T>, folder: string, report: BenchReport): Promise<RunFigures> {
  const seconds = (t0: number) => (performance.now() - t0) / 1000;
  let t0 = performance.now();
  const model = await loadQwen3(backend, folderFiles(folder));
  const load = seconds(t0);
  const ids = Array.from({ length: tokens }, (_, i) => (i * 7919) % 150000);
  t0 = performance.now();
  await model.logprobs(ids);
  const prefill = tokens / seconds(t0);
  const policy = new EnginePolicy('bench', model);
  const sampling = { ...defaultSampling, temperature: 0, maxNewTokens: decodeTokens };
  for await (const _ of policy.generate({ inputIds: ids.slice(0, 16), sampling: { ...sampling, maxNewTokens: 1 } }));
  t0 = performance.now();
  for await (const _ of policy.generate({ inputIds: ids.slice(0, 17), sampling }));
  const decode = decodeTokens / seconds(t0);
  const layout = loraLayout(model.config, { rank: 8, alpha: 16, targets: allLoraTargets });
  const lora = createLoraState(backend, layout, initLoraParams(layout, 1));
  const trainer = new LoraTrainer(model, lora);
  const response = ids.slice(16);
  t0 = performance.now();
  await trainer.trainStep([
    {
      promptIds: ids.slice(0, 16),
      responseIds: response,
      loss: (lp) =>
        maskedCrossEntropy(
          lp,
          response.map(() => 1),
        ),
    },
  ]);
  const train = seconds(t0);
  const peak = process.resourceUsage().maxRSS * 1024;
  const plan = await planMemory(
    model.config,
    { promptTokens: 16, turnTokens: decodeTokens, responseTokens: tokens - 16, sequencesPerStep: 1 },
    layout.config,
    backend instanceof WebGpuBackend ? backend.weights : { format: 'f32' },
  );
  console.log(
    `${name.padEnd(8)} load ${load.toFixed(1)} s · prefill ${prefill.toFixed(1)} tok/s · decode ${decode.toFixed(2)} tok/s · ` +
      `LoRA step on ${tokens} tokens ${train.toFixed(1)} s · engine holds ${formatBytes(backend.liveBytes)} (plan ${formatBytes(plan.totalBytes)}) · process peak ${formatBytes(peak)}`,
  );
  report.results.push(
    { name: `${name} load`, value: load, unit: 's' },
    { name: `${name} prefill`, value: prefill, unit: 'tokens/s', tokens },
    { name: `${name} decode`, value: decode, unit: 'tokens/s' },
    { name: `${name} LoRA step`, value: train, unit: 's', tokens },
    { name: `${name} engine bytes`, value: backend.liveBytes, unit: 'B', planned: plan.totalBytes },
    { name: `${name} process peak`, value: peak, unit: 'B' },
  );
  const weightBytes = plan.parts.find((p) => p.part === 'weights')?.bytes ?? 0;
  return { decode, weightBytes };
}

export async function benchRealSize(report: BenchReport): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sodp-real-size-'));
  try {
    const t0 = performance.now();
    const folder = writeRandomQwen3Folder(join(dir, 'qwen3-0.6b'), { size: '0.6B', layers });
    const c = qwen3Config('0.6B', layers);
    console.log(
      `random Qwen3-0.6B, ${c.numLayers} layers, bf16 in 2 shards, written in ${((performance.now() - t0) / 1000).toFixed(0)} s; ${tokens} tokens`,
    );
    if (backends.includes('cpu')) await run('cpu', new CpuBackend(), folder, report);
    const formats = { webgpu: undefined, 'webgpu-f32': 'f32', 'webgpu-f16': 'f16' } as const;
    for (const [name, weights] of Object.entries(formats)) {
      if (!backends.includes(name)) continue;
      const device = await openEngineDevice(await nodeGpu()).catch((err: unknown) => {
        console.log(`webgpu: not available (${err instanceof Error ? err.message : err})`);
        return undefined;
      });
      if (device === undefined) break;
      report.adapter = device.adapterName;
      const backend = new WebGpuBackend(device, weights === undefined ? {} : { weights });
      const label = `${name} (${backend.weights.format})`;
      const { decode, weightBytes } = await run(label, backend, folder, report);
      // Decode reads every weight once per token: the bandwidth bounds its rate (the roofline).
      const bandwidth = await copyBandwidth(device.device);
      const roofline = (100 * decode * weightBytes) / bandwidth;
      console.log(
        `${label}: decode at ${roofline.toFixed(1)}% of the bandwidth roofline (${formatBytes(weightBytes)} of weights per token; ` +
          `copies move ${(bandwidth / 1e9).toFixed(0)} GB/s, read plus written)`,
      );
      report.results.push(
        { name: `${label} copy bandwidth`, value: bandwidth / 1e9, unit: 'GB/s' },
        { name: `${label} decode % of bandwidth roofline`, value: roofline, unit: '%' },
      );
      device.destroy();
    }
  } finally {
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  }
}
