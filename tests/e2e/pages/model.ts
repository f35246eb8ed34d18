// A model outside the playground, in the page: our engine (WebGPU through the browser's own
// adapter, or the CPU backend) or the ONNX teacher (src/models/onnx-teacher.ts: transformers.js
// on onnxruntime-web). It comes from a Hub-layout server through the page's downloader into
// memory; then it scores trajectories teacher-forced and generates greedily. Driven by
// tests/support/model-page.ts (the real-size ONNX test, the teacher-paths and peer benchmarks,
// the teacher-precision script).
import { Tensor } from '@huggingface/transformers';
import { defaultSampling } from '../../../src/core/policy';
import { EnginePolicy } from '../../../src/engine/inference';
import { loadQwen3 } from '../../../src/engine/load';
import { openBackend } from '../../../src/engine/open-backend';
import type { DownloadTarget } from '../../../src/models/hub';
import { fetchHubModel, type ModelFileStore } from '../../../src/models/hub-model';
import { fetchOnnxModel } from '../../../src/models/onnx-files';
import { OnnxTeacher } from '../../../src/models/onnx-teacher';
import type { GreedyRun, PageModelRequest, PageRuntime } from '../../support/model-page';

const ort = '/ort/ort-wasm-simd-threaded.asyncify';

/**
 * A model's files in the origin's private file system, written from this (main) thread. Not
 * in memory: Chromium here cannot read back a Blob of a few hundred MB (NotReadableError), and
 * an OPFS file is read from disk. One folder per load, removed with the model.
 */
async function pageStore(): Promise<ModelFileStore & { remove(): Promise<void> }> {
  const root = await navigator.storage.getDirectory();
  const name = `model-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const dir = await root.getDirectoryHandle(name, { create: true });
  const done = new Set<string>();
  const fileName = (path: string) => path.replaceAll('/', '__');
  return {
    async target(path): Promise<DownloadTarget> {
      const handle = await dir.getFileHandle(fileName(path), { create: true });
      let writable: FileSystemWritableFileStream | undefined;
      let stored = 0;
      return {
        storedBytes: async () => stored,
        append: async (chunk) => {
          writable ??= await handle.createWritable();
          await writable.write(new Uint8Array(chunk));
          stored += chunk.byteLength;
        },
        truncate: async () => {
          await writable?.abort();
          writable = await handle.createWritable();
          stored = 0;
        },
        complete: async () => {
          await (writable ?? (await handle.createWritable())).close();
          done.add(path);
        },
      };
    },
    has: async (path) => done.has(path),
    blob: async (path) => (await dir.getFileHandle(fileName(path))).getFile(),
    remove: () => root.removeEntry(name, { recursive: true }),
  };
}

interface Opened {
  /** The adapter, or the ONNX device (and why not the first one asked for). */
  device: string;
  scoreTokens(prompt: readonly number[], response: readonly number[]): Promise<ArrayLike<number>>;
  generateGreedy(prompt: readonly number[], newTokens: number): Promise<GreedyRun>;
  close(): Promise<void>;
}

async function openOnnx(request: PageModelRequest, runtime: Extract<PageRuntime, { kind: 'onnx' }>): Promise<Opened> {
  const source = { endpoint: request.endpoint, repo: request.repo, revision: 'main' };
  const store = await pageStore();
  await fetchOnnxModel(source, store, runtime.dtype);
  const teacher = await OnnxTeacher.load({
    source,
    dtype: runtime.dtype,
    store,
    devices: runtime.devices,
    wasmPaths: { mjs: `${ort}.mjs`, wasm: `${ort}.wasm` },
  });
  const why = teacher.fallback === undefined ? '' : ` (${teacher.fallback})`;
  return {
    device: `${teacher.device}${why}`,
    scoreTokens: (prompt, response) => teacher.scoreTokens(prompt, response),
    // transformers.js's own generate, as an app built on it decodes. Its time to the first token
    // is that of a generation of one token (a streamer would do, but its type asks for a tokenizer).
    async generateGreedy(prompt, newTokens) {
      const inputs = new Tensor('int64', BigInt64Array.from(prompt, BigInt), [1, prompt.length]);
      const generate = (n: number) =>
        teacher.model.generate({ inputs, max_new_tokens: n, min_new_tokens: n, do_sample: false });
      let started = performance.now();
      await generate(1);
      const firstTokenSeconds = (performance.now() - started) / 1000;
      started = performance.now();
      const out = await generate(newTokens);
      const totalSeconds = (performance.now() - started) / 1000;
      if (!(out instanceof Tensor) || !(out.data instanceof BigInt64Array))
        throw new Error('transformers.js generate returned no int64 ids');
      return { ids: Array.from(out.data.subarray(prompt.length), Number), firstTokenSeconds, totalSeconds };
    },
    close: async () => {
      await teacher.dispose();
      await store.remove();
    },
  };
}

async function openEngine(
  request: PageModelRequest,
  runtime: Extract<PageRuntime, { kind: 'engine' }>,
): Promise<Opened> {
  const source = { endpoint: request.endpoint, repo: request.repo, revision: 'main' };
  const store = await pageStore();
  const files = await fetchHubModel(source, store);
  const { result, device } = await openBackend(
    {
      choice: runtime.backend,
      gpu: navigator.gpu,
      fallBackToCpu: false,
      ...(runtime.weights !== undefined ? { weights: { format: runtime.weights } } : {}),
    },
    {
      run: async (backend, opened) => ({
        policy: new EnginePolicy(request.repo, await loadQwen3(backend, files)),
        device: `${opened.device} · ${opened.weights.format}`,
      }),
    },
  );
  const { policy } = result;
  return {
    device: result.device,
    scoreTokens: (prompt, response) => policy.scoreTokens(prompt, response),
    async generateGreedy(prompt, newTokens) {
      const started = performance.now();
      let firstToken = 0;
      const ids: number[] = [];
      const sampling = { ...defaultSampling, temperature: 0, maxNewTokens: newTokens, stopTokenIds: [] };
      for await (const token of policy.generate({ inputIds: prompt, sampling })) {
        if (ids.length === 0) firstToken = performance.now();
        ids.push(token.id);
      }
      const total = performance.now();
      return { ids, firstTokenSeconds: (firstToken - started) / 1000, totalSeconds: (total - started) / 1000 };
    },
    close: async () => {
      device?.destroy();
      await store.remove();
    },
  };
}

let opened: Opened | undefined;

/** Loads the model `request` names (closing the one before): the page holds one at a time. */
async function openModel(request: PageModelRequest): Promise<{ device: string; loadSeconds: number }> {
  await closeModel();
  const started = performance.now();
  opened =
    request.runtime.kind === 'onnx'
      ? await openOnnx(request, request.runtime)
      : await openEngine(request, request.runtime);
  return { device: opened.device, loadSeconds: (performance.now() - started) / 1000 };
}

function current(): Opened {
  if (opened === undefined) throw new Error('no model is open');
  return opened;
}

const scoreTokens = async (prompt: number[], response: number[]): Promise<number[]> =>
  Array.from(await current().scoreTokens(prompt, response));

const generateGreedy = (prompt: number[], newTokens: number): Promise<GreedyRun> =>
  current().generateGreedy(prompt, newTokens);

async function closeModel(): Promise<void> {
  const closing = opened;
  opened = undefined;
  await closing?.close();
}

declare global {
  interface Window {
    openModel: typeof openModel;
    scoreTokens: typeof scoreTokens;
    generateGreedy: typeof generateGreedy;
    closeModel: typeof closeModel;
  }
}
Object.assign(window, { openModel, scoreTokens, generateGreedy, closeModel });
