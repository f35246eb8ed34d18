/**
 * Teacher scoring throughput of every teacher path, side by side in one run, on a random Qwen3
 * of the real 0.6B dimensions in 2 layers (the real 151936-token LM head): the engine on the CPU
 * (f32, int8, int4) and on WebGPU (f32, f16, int8, int4; SwiftShader where there is no GPU),
 * and the ONNX exports (fp32, fp16, q4) through transformers.js on onnxruntime's CPU provider.
 * Each path scores the same trajectory teacher-forced; medians of TEACHER_RUNS runs after a
 * warm-up.
 *
 *   npm run bench -- teacher-paths
 *   TEACHER_TOKENS=64 TEACHER_RUNS=1 TEACHER_PATHS=cpu-f32,onnx-q4 npm run bench -- teacher-paths
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { LogprobScorer } from '../src/core/policy';
import type { Backend, WeightFormat } from '../src/engine/backend';
import { CpuBackend, QuantizedCpuBackend } from '../src/engine/cpu/backend';
import { EngineScorer } from '../src/engine/inference';
import { loadQwen3 } from '../src/engine/load';
import { folderFiles } from '../src/engine/node-files';
import { WebGpuBackend } from '../src/engine/webgpu/backend';
import { openEngineDevice, type EngineDevice } from '../src/engine/webgpu/device';
import { nodeGpu } from '../src/engine/webgpu/node-gpu';
import { onnxDtypes, type OnnxDtype } from '../src/models/onnx/dtypes';
import { exportOnnxFolder } from '../src/models/onnx/export-folder';
import { writeRandomQwen3Folder } from '../src/models/testing/random-qwen3';
import { TransformersScorer } from '../src/models/transformers-scorer';
import { median, timeRuns, type BenchReport } from './report';

const tokens = Number(process.env.TEACHER_TOKENS ?? 128);
const runs = Number(process.env.TEACHER_RUNS ?? 3);
const only = process.env.TEACHER_PATHS?.split(',');

interface Path {
  name: string;
  open(folder: string): Promise<{ scorer: LogprobScorer; close(): Promise<void> }>;
}

function engine(name: string, backend: () => Promise<{ backend: Backend<unknown>; device?: EngineDevice }>): Path {
  return {
    name,
    async open(folder) {
      const { backend: b, device } = await backend();
      const model = await loadQwen3(b, folderFiles(folder));
      return { scorer: new EngineScorer(name, model), close: async () => device?.destroy() };
    },
  };
}

async function gpu(weights: WeightFormat): Promise<{ backend: Backend<unknown>; device: EngineDevice }> {
  const device = await openEngineDevice(await nodeGpu());
  return { backend: new WebGpuBackend(device, { weights }), device };
}

function onnx(dtype: OnnxDtype, exportRoot: string): Path {
  return {
    name: `onnx-${dtype}`,
    async open(folder) {
      const exported = join(exportRoot, dtype);
      if (!existsSync(exported)) await exportOnnxFolder(folder, exported, { dtype });
      const scorer = await TransformersScorer.load(resolve(exported), {
        devices: ['cpu'],
        localFilesOnly: true,
        dtype,
      });
      return { scorer, close: () => scorer.dispose() };
    },
  };
}

export async function benchTeacherPaths(report: BenchReport): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sodp-teacher-paths-'));
  try {
    const folder = writeRandomQwen3Folder(join(dir, 'teacher'), { size: '0.6B', layers: 2, seed: 2 });
    const paths: Path[] = [
      engine('cpu-f32', async () => ({ backend: new CpuBackend() })),
      engine('cpu-int8', async () => ({ backend: new QuantizedCpuBackend('int8') })),
      engine('cpu-int4', async () => ({ backend: new QuantizedCpuBackend('int4', 32) })),
      engine('webgpu-f32', () => gpu('f32')),
      engine('webgpu-f16', () => gpu('f16')),
      engine('webgpu-int8', () => gpu('int8')),
      engine('webgpu-int4', () => gpu('int4')),
      ...onnxDtypes.map((dtype) => onnx(dtype, join(dir, 'onnx'))),
    ].filter((p) => only === undefined || only.includes(p.name));
    const prompt = Array.from({ length: 32 }, (_, i) => (i * 7919 + 13) % 150000);
    const response = Array.from({ length: tokens - 32 }, (_, i) => (i * 104729 + 7) % 150000);
    console.log(`random Qwen3-0.6B dimensions, 2 layers; scoring ${tokens} tokens, median of ${runs}`);
    let first: { name: string; rate: number } | undefined;
    for (const path of paths) {
      let opened: Awaited<ReturnType<Path['open']>>;
      try {
        opened = await path.open(folder);
      } catch (err) {
        console.log(`${path.name.padEnd(12)} not available: ${err instanceof Error ? err.message : String(err)}`);
        continue;
      }
      const seconds = median(
        await timeRuns(runs, async () => void (await opened.scorer.scoreTokens(prompt, response))),
      );
      await opened.close();
      const rate = tokens / seconds;
      first ??= { name: path.name, rate };
      console.log(
        `${path.name.padEnd(12)} ${rate.toFixed(1).padStart(7)} tokens/s  (${(rate / first.rate).toFixed(2)}× ${first.name})`,
      );
      report.results.push({ name: `${path.name} scoring`, value: rate, unit: 'tokens/s', tokens });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
