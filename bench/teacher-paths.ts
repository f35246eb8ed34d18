/**
 * Teacher scoring throughput of every teacher path, side by side in one run, on a random Qwen3
 * of the real 0.6B dimensions in 2 layers (the real 151936-token LM head):
 * - in Node: the engine on the CPU (f32, int8, int4) and on WebGPU (f32, f16, int8, int4;
 *   SwiftShader where there is no GPU), and the ONNX exports (fp32, fp16, q4) through
 *   transformers.js on onnxruntime's CPU provider;
 * - in headless Chromium, as the playground's teacher worker runs them (`page-…`): the engine on
 *   the browser's WebGPU (f32, f16) and the ONNX exports on onnxruntime-web's WebGPU provider,
 *   falling back to wasm where the adapter cannot (fp16 without `shader-f16`), plus q4 on wasm.
 * Each path scores the same trajectory teacher-forced; medians of TEACHER_RUNS runs after a
 * warm-up.
 *
 *   npm run bench -- teacher-paths
 *   TEACHER_TOKENS=64 TEACHER_RUNS=1 TEACHER_PATHS=cpu-f32,page-onnx-q4 npm run bench -- teacher-paths
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
import { exportDtypes, type ExportDtype } from '../src/models/onnx/dtypes';
import { exportOnnxFolder } from '../src/models/onnx/export-folder';
import { writeRandomQwen3Folder } from '../src/models/testing/random-qwen3';
import { TransformersScorer } from '../src/models/transformers-scorer';
import { type HubServer, startHubServer } from '../tests/support/hub-server';
import { type ModelPage, openModelPage, type PageRuntime } from '../tests/support/model-page';
import { median, timeRuns, type BenchReport } from './report';

const tokens = Number(process.env.TEACHER_TOKENS ?? 128);
const runs = Number(process.env.TEACHER_RUNS ?? 3);
const only = process.env.TEACHER_PATHS?.split(',');

interface Path {
  name: string;
  open(
    folder: string,
  ): Promise<{ scorer: Pick<LogprobScorer, 'scoreTokens'>; device?: string; close(): Promise<void> }>;
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

function onnx(dtype: ExportDtype, exported: (dtype: ExportDtype) => Promise<string>): Path {
  return {
    name: `onnx-${dtype}`,
    async open() {
      const scorer = await TransformersScorer.load(await exported(dtype), {
        devices: ['cpu'],
        localFilesOnly: true,
        dtype,
      });
      return { scorer, close: () => scorer.dispose() };
    },
  };
}

/** The page and the Hub-layout server of the `page-…` paths, started by the first of them. */
class PageHost {
  private started?: Promise<{ page: ModelPage; hub: HubServer }>;
  constructor(private readonly repos: Record<string, () => Promise<string>>) {}

  path(name: string, repo: string, runtime: PageRuntime): Path {
    return {
      name,
      open: async () => {
        const { page, hub } = await this.start();
        const opened = await page.open({ endpoint: hub.url, repo, runtime });
        return { scorer: opened, device: opened.device, close: async () => {} };
      },
    };
  }

  private start(): Promise<{ page: ModelPage; hub: HubServer }> {
    this.started ??= (async () => {
      const folders: Record<string, string> = {};
      for (const [repo, folder] of Object.entries(this.repos)) folders[repo] = await folder();
      return { hub: await startHubServer(folders), page: await openModelPage() };
    })();
    return this.started;
  }

  async close(): Promise<void> {
    if (this.started === undefined) return;
    const { page, hub } = await this.started;
    await page.close();
    hub.server.close();
    hub.server.closeAllConnections();
  }
}

export async function benchTeacherPaths(report: BenchReport): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sodp-teacher-paths-'));
  let host: PageHost | undefined;
  try {
    const folder = writeRandomQwen3Folder(join(dir, 'teacher'), { size: '0.6B', layers: 2, seed: 2 });
    const exported = async (dtype: ExportDtype) => {
      const out = join(dir, 'onnx', dtype);
      if (!existsSync(out)) await exportOnnxFolder(folder, out, { dtype });
      return resolve(out);
    };
    const pages = new PageHost({
      'bench/teacher': async () => folder,
      ...Object.fromEntries(exportDtypes.map((dtype) => [`bench/teacher-${dtype}`, () => exported(dtype)])),
    });
    host = pages;
    const pagePaths = [
      pages.path('page-webgpu-f32', 'bench/teacher', { kind: 'engine', backend: 'webgpu', weights: 'f32' }),
      pages.path('page-webgpu-f16', 'bench/teacher', { kind: 'engine', backend: 'webgpu', weights: 'f16' }),
      ...exportDtypes.map((dtype) =>
        pages.path(`page-onnx-${dtype}`, `bench/teacher-${dtype}`, {
          kind: 'onnx',
          dtype,
          devices: ['webgpu', 'wasm'],
        }),
      ),
      pages.path('page-onnx-wasm-q4', 'bench/teacher-q4', { kind: 'onnx', dtype: 'q4', devices: ['wasm'] }),
    ];
    const paths: Path[] = [
      engine('cpu-f32', async () => ({ backend: new CpuBackend() })),
      engine('cpu-int8', async () => ({ backend: new QuantizedCpuBackend('int8') })),
      engine('cpu-int4', async () => ({ backend: new QuantizedCpuBackend('int4', 32) })),
      engine('webgpu-f32', () => gpu('f32')),
      engine('webgpu-f16', () => gpu('f16')),
      engine('webgpu-int8', () => gpu('int8')),
      engine('webgpu-int4', () => gpu('int4')),
      ...exportDtypes.map((dtype) => onnx(dtype, exported)),
      ...pagePaths,
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
        console.log(`${path.name.padEnd(18)} not available: ${err instanceof Error ? err.message : String(err)}`);
        continue;
      }
      const seconds = median(
        await timeRuns(runs, async () => void (await opened.scorer.scoreTokens(prompt, response))),
      );
      await opened.close();
      const rate = tokens / seconds;
      first ??= { name: path.name, rate };
      const on = opened.device === undefined ? '' : `  on ${opened.device}`;
      console.log(
        `${path.name.padEnd(18)} ${rate.toFixed(1).padStart(7)} tokens/s  (${(rate / first.rate).toFixed(2)}× ${first.name})${on}`,
      );
      report.results.push({
        name: `${path.name} scoring`,
        value: rate,
        unit: 'tokens/s',
        tokens,
        ...(opened.device !== undefined ? { device: opened.device } : {}),
      });
    }
  } finally {
    await host?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
