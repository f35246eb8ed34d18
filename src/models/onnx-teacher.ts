/**
 * The ONNX teacher: a Qwen3 export (the Hub's `onnx-community/Qwen3-*-ONNX`, or one `sodp
 * export-onnx` wrote) run by transformers.js on onnxruntime, serving the same two calls as the
 * engine's teacher: teacher-forced log-probs and top-k alternatives. Its files are read from the
 * page's model store (fetchOnnxModel put them there), never fetched by transformers.js itself.
 * The teacher worker imports this module only when an ONNX teacher is loaded, so onnxruntime
 * never enters the main bundle or the student's worker.
 */
import { AutoModelForCausalLM, env, type ProgressInfo } from '@huggingface/transformers';
import { parseJsonFile } from '../core/json';
import { topLogprobs } from '../engine/alternatives';
import { logSoftmaxAt } from '../engine/sampling';
import type { HubModelSource, ModelFileStore } from './hub-model';
import { onnxWeightFiles, repoPathOfKey, type OnnxDevice, type OnnxDtype } from './onnx-files';
import { type CausalLm, forEachPrediction } from './onnx-scoring';

/** What a load reports: files read from the store into onnxruntime, then the session being created. */
export type OnnxLoadEvent =
  | { stage: 'read'; files: { path: string; loaded: number; total: number }[] }
  | { stage: 'session'; device: OnnxDevice };

export interface OnnxTeacherOptions {
  source: HubModelSource;
  dtype: OnnxDtype;
  /** Holds every file the model needs (fetchOnnxModel brought them there). */
  store: ModelFileStore;
  /** Devices to try in order; the first whose session is created is used. */
  devices: readonly OnnxDevice[];
  /** Where onnxruntime-web's `.mjs` and `.wasm` are served by the app (browsers only). */
  wasmPaths?: { mjs: string; wasm: string };
  /** Input tokens per forward pass: at most this many rows of vocabulary logits exist at once. */
  chunkTokens?: number;
  onProgress?: (event: OnnxLoadEvent) => void;
  signal?: AbortSignal;
}

/** A Response of a stored file, with its length (transformers.js reads sizes for its progress from it). */
async function storedResponse(store: ModelFileStore, path: string): Promise<Response | undefined> {
  if (!(await store.has(path))) return undefined;
  const blob = await store.blob(path);
  return new Response(blob, { headers: { 'content-length': String(blob.size) } });
}

/**
 * Points transformers.js at the page's store: its cache answers every file of `source` from the
 * store, and its fetch refuses, so a file the store lacks is "not found" (an optional one is
 * skipped, a required one fails) rather than downloaded past the page's downloader.
 */
function configure(options: OnnxTeacherOptions): void {
  const { source, store } = options;
  env.allowLocalModels = false;
  env.allowRemoteModels = true;
  env.remoteHost = `${source.endpoint.replace(/\/+$/, '')}/`;
  env.remotePathTemplate = '{model}/resolve/{revision}/';
  env.useBrowserCache = false;
  env.useFSCache = false;
  env.useCustomCache = true;
  env.customCache = {
    match: async (key: string) => {
      const path = repoPathOfKey(source, key);
      return path === undefined ? undefined : storedResponse(store, path);
    },
    // Nothing reaches put: every file comes out of the store.
    put: async () => undefined,
  };
  env.fetch = async (input: string | URL) =>
    new Response(`not in the page's model store: ${String(input)}`, { status: 404 });
  // onnxruntime-web's runtime comes from the app's own origin, never a CDN.
  env.useWasmCache = false;
  const wasm = env.backends.onnx.wasm;
  if (options.wasmPaths !== undefined && wasm !== undefined) wasm.wasmPaths = { ...options.wasmPaths };
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

export class OnnxTeacher {
  private constructor(
    /** The transformers.js model (the peer benchmark decodes with its own generate). */
    readonly model: CausalLm,
    /** The device whose session was created. */
    readonly device: OnnxDevice,
    /** Why the devices before it were not used, when one was not. */
    readonly fallback: string | undefined,
    private readonly chunkTokens: number,
  ) {}

  static async load(options: OnnxTeacherOptions): Promise<OnnxTeacher> {
    configure(options);
    const { source, dtype, store } = options;
    const config = parseJsonFile(await (await store.blob('config.json')).text(), `${source.repo}/config.json`);
    // The files transformers.js will read; all must be stored, so a gap is named here, not deep inside it.
    const needed = ['config.json', ...onnxWeightFiles(config, dtype)];
    for (const path of needed)
      if (!(await store.has(path))) throw new Error(`${source.repo}: ${path} is not in the page's model store`);
    const files = new Map<string, { path: string; loaded: number; total: number }>();
    let current: OnnxDevice = options.devices[0] ?? 'wasm';
    const onProgress = (info: ProgressInfo) => {
      // A cancelled load stops at the next file read (transformers.js takes no signal).
      options.signal?.throwIfAborted();
      if (info.status !== 'progress') return;
      files.set(info.file, { path: info.file, loaded: info.loaded, total: info.total });
      options.onProgress?.({ stage: 'read', files: [...files.values()] });
      if ([...files.values()].every((f) => f.loaded >= f.total) && needed.every((p) => files.has(p)))
        options.onProgress?.({ stage: 'session', device: current });
    };
    const failures: string[] = [];
    for (const device of options.devices) {
      options.signal?.throwIfAborted();
      current = device;
      files.clear();
      try {
        const model = await AutoModelForCausalLM.from_pretrained(source.repo, {
          revision: source.revision,
          dtype,
          device,
          progress_callback: onProgress,
        });
        const fallback =
          failures.length === 0 ? undefined : `${failures.join('; ')}: the ONNX teacher runs on ${device} instead`;
        return new OnnxTeacher(model, device, fallback, options.chunkTokens ?? 32);
      } catch (err) {
        failures.push(`${device} failed (${message(err)})`);
      }
    }
    options.signal?.throwIfAborted();
    throw new Error(`could not load ${source.repo} (${dtype}) with transformers.js: ${failures.join('; ')}`);
  }

  /** log p(responseIds[t] | prompt, responseIds[<t]) for every t, teacher-forced. */
  async scoreTokens(
    promptIds: readonly number[],
    responseIds: readonly number[],
    signal?: AbortSignal,
  ): Promise<number[]> {
    const out = new Array<number>(responseIds.length).fill(0);
    await this.predictions(
      promptIds,
      responseIds,
      (t, row) => {
        out[t] = logSoftmaxAt(row, responseIds[t]);
      },
      signal,
    );
    return out;
  }

  /** The model's top-k next tokens at every response position, as [token id, log-probability], most likely first. */
  async alternatives(
    promptIds: readonly number[],
    responseIds: readonly number[],
    k: number,
    signal?: AbortSignal,
  ): Promise<[number, number][][]> {
    const out: [number, number][][] = new Array(responseIds.length);
    await this.predictions(promptIds, responseIds, (t, row) => (out[t] = topLogprobs(row, k)), signal);
    return out;
  }

  private predictions(
    promptIds: readonly number[],
    responseIds: readonly number[],
    visit: (t: number, row: Float32Array) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    return forEachPrediction(this.model, this.chunkTokens, promptIds, responseIds, visit, signal);
  }

  async dispose(): Promise<void> {
    await this.model.dispose();
  }
}
