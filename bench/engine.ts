/**
 * Engine throughput on both backends side by side: prefill (teacher-forced log-probs),
 * decode (KV-cache sampling) and a LoRA training step, for the tiny demo shapes and for
 * Qwen3-0.6B shapes with random weights (2 of its 28 layers, full vocabulary, to keep a
 * CPU run within minutes). Medians of several runs; ratios WebGPU/CPU.
 *
 *   npm run bench -- engine
 */
import { defaultSampling } from '../src/core/policy';
import type { Backend } from '../src/engine/backend';
import type { Qwen3Config } from '../src/engine/config';
import { CpuBackend } from '../src/engine/cpu/backend';
import { roundToBf16 } from '../src/engine/half-floats';
import { EnginePolicy } from '../src/engine/inference';
import { initLoraParams, loraLayout, defaultLoraConfig } from '../src/engine/lora';
import { maskedCrossEntropy } from '../src/sod/loss';
import { randomModel } from '../src/engine/testing/tiny';
import { LoraTrainer } from '../src/engine/train';
import { WebGpuBackend } from '../src/engine/webgpu/backend';
import { openEngineDevice } from '../src/engine/webgpu/device';
import { nodeGpu } from '../src/engine/webgpu/node-gpu';
import { countersSince, type GpuCounters } from '../src/engine/webgpu/context';
import { median, timeRuns, type BenchReport } from './report';
import { createLoraState } from '../src/engine/lora-state';

interface Shape {
  name: string;
  config: Qwen3Config;
  /** Tokens of the prefill and training sequences. */
  tokens: number;
  decodeTokens: number;
  runs: number;
}

const base = {
  rmsNormEps: 1e-6,
  ropeTheta: 1_000_000,
  tieWordEmbeddings: true,
  maxPositionEmbeddings: 4096,
  torchDtype: 'float32',
};
const shapes: Shape[] = [
  {
    name: 'demo teacher (4 layers, hidden 256)',
    config: {
      ...base,
      hiddenSize: 256,
      intermediateSize: 768,
      numLayers: 4,
      numHeads: 8,
      numKvHeads: 4,
      headDim: 32,
      vocabSize: 2048,
    },
    tokens: 128,
    decodeTokens: 16,
    runs: 3,
  },
  {
    name: 'Qwen3-0.6B shapes (2 of 28 layers)',
    config: {
      ...base,
      hiddenSize: 1024,
      intermediateSize: 3072,
      numLayers: 2,
      numHeads: 16,
      numKvHeads: 8,
      headDim: 128,
      vocabSize: 151936,
      torchDtype: 'bfloat16',
    },
    tokens: 32,
    decodeTokens: 4,
    runs: 1,
  },
];

interface Rates {
  prefill: number;
  decode: number;
  train: number;
  /** What one decoded token and one training step asked of the GPU (WebGPU only). */
  counts?: { decode: GpuCounters; train: GpuCounters };
}

/** Counters over `runs` runs of `run`, divided by `per` (runs × tokens or steps). */
async function counted(
  gpu: WebGpuBackend | undefined,
  per: number,
  run: () => Promise<number[]>,
): Promise<{ seconds: number[]; counts?: GpuCounters }> {
  const before = gpu?.ctx.snapshot();
  const seconds = await run();
  if (gpu === undefined || before === undefined) return { seconds };
  const total = countersSince(gpu.ctx.snapshot(), before);
  const each = (n: number) => Math.round((100 * n) / per) / 100;
  return {
    seconds,
    counts: {
      dispatches: each(total.dispatches),
      submits: each(total.submits),
      readbacks: each(total.readbacks),
      bytesRead: each(total.bytesRead),
      buffers: each(total.buffers),
      bindGroups: each(total.bindGroups),
    },
  };
}

function formatCounts(c: GpuCounters): string {
  return `${c.dispatches} dispatches, ${c.submits} submits, ${c.readbacks} readbacks (${c.bytesRead} B), ${c.buffers} new buffers, ${c.bindGroups} new bind groups`;
}

async function measure<T>(backend: Backend<T>, shape: Shape): Promise<Rates> {
  // The CPU backend has no dispatches, submits or readbacks to count.
  const gpu = backend instanceof WebGpuBackend ? backend : undefined;
  // Random weights saved as the shape's checkpoints are: Qwen3's in bf16 (the demo pair's in f32).
  const saved = shape.config.torchDtype === 'bfloat16' ? roundToBf16 : undefined;
  const model = randomModel(backend, shape.config, 1, saved);
  const ids = Array.from({ length: shape.tokens }, (_, i) => (i * 7919) % shape.config.vocabSize);
  const prefill = await timeRuns(shape.runs, async () => {
    await model.logprobs(ids);
  });
  const policy = new EnginePolicy('bench', model);
  // Counted over the timed runs and the warm-up: per token, the prefill of 8 included.
  const decode = await counted(gpu, (shape.runs + 1) * shape.decodeTokens, () =>
    timeRuns(shape.runs, async () => {
      // A fresh prompt each run so the cache is rebuilt; the prefill of 8 tokens is included.
      for await (const _ of policy.generate({
        inputIds: ids.slice(0, 8).map((x) => (x + Math.floor(Math.random() * 100)) % shape.config.vocabSize),
        sampling: { ...defaultSampling, temperature: 0, maxNewTokens: shape.decodeTokens },
      }));
    }),
  );
  const layout = loraLayout(shape.config, defaultLoraConfig);
  const lora = createLoraState(backend, layout, initLoraParams(layout, 1));
  const trainer = new LoraTrainer(model, lora);
  const prompt = ids.slice(0, 8);
  const response = ids.slice(8);
  const mask = response.map(() => 1);
  const train = await counted(gpu, shape.runs + 1, () =>
    timeRuns(shape.runs, async () => {
      await trainer.trainStep([
        { promptIds: prompt, responseIds: response, loss: (lp) => maskedCrossEntropy(lp, mask) },
      ]);
    }),
  );
  return {
    prefill: shape.tokens / median(prefill),
    decode: shape.decodeTokens / median(decode.seconds),
    train: shape.tokens / median(train.seconds),
    counts: decode.counts && train.counts ? { decode: decode.counts, train: train.counts } : undefined,
  };
}

export async function benchEngine(report: BenchReport): Promise<void> {
  const device = await openEngineDevice(await nodeGpu()).catch(() => undefined);
  report.adapter = device?.adapterName ?? 'none (CPU only)';
  console.log(`adapter: ${report.adapter}`);
  for (const shape of shapes) {
    const cpu = await measure(new CpuBackend(), shape);
    const gpu = device ? await measure(new WebGpuBackend(device), shape) : undefined;
    for (const kind of ['prefill', 'decode', 'train'] as const) {
      report.results.push({ name: `${shape.name} ${kind} cpu`, value: cpu[kind], unit: 'tokens/s' });
      if (gpu)
        report.results.push({
          name: `${shape.name} ${kind} webgpu`,
          value: gpu[kind],
          unit: 'tokens/s',
          ratioToCpu: gpu[kind] / cpu[kind],
        });
      console.log(
        `${shape.name.padEnd(38)} ${kind.padEnd(8)} cpu ${cpu[kind].toFixed(2).padStart(8)} tok/s` +
          (gpu
            ? `   webgpu ${gpu[kind].toFixed(2).padStart(8)} tok/s   webgpu/cpu ${(gpu[kind] / cpu[kind]).toFixed(2)}×`
            : ''),
      );
    }
    if (gpu?.counts) {
      console.log(`${shape.name.padEnd(38)} webgpu per decoded token: ${formatCounts(gpu.counts.decode)}`);
      console.log(`${shape.name.padEnd(38)} webgpu per training step: ${formatCounts(gpu.counts.train)}`);
      for (const kind of ['decode', 'train'] as const)
        for (const [key, value] of Object.entries(gpu.counts[kind]))
          report.results.push({
            name: `${shape.name} ${kind} webgpu ${key}`,
            value,
            unit: kind === 'decode' ? 'per token' : 'per step',
          });
    }
  }
  device?.destroy();
}
