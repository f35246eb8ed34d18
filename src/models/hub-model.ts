/**
 * A Qwen3 model from the Hub (or a server laid out like it) into a file store the page keeps:
 * the config and the tokenizer first, checked before any weights, then the weights (one
 * model.safetensors, or the shards model.safetensors.index.json names), each file resumed with
 * HTTP Range from what an earlier attempt stored, with progress per file and in total. A model
 * whose files are all stored loads without the network.
 *
 * `sodp` uses `@huggingface/hub` and the Hugging Face cache on disk (hub-cache.ts). The page
 * cannot: that package's cache functions are Node-only and it does not resume a download, so
 * the page's downloads go through `download` (hub.ts) into a ModelFileStore.
 */
import { parseJsonFile } from '../core/json';
import { parseQwen3Config } from '../engine/config';
import type { ModelFiles } from '../engine/load';
import {
  download,
  DownloadError,
  hubFileUrl,
  HubModelError,
  modelMetadataFiles,
  optionalMetadataFiles,
  type DownloadTarget,
} from './hub';
import { shardsOfIndex } from './shards';
import {
  browserStorageEstimate,
  freeStorageBytes,
  isQuotaError,
  StorageFullError,
  type StorageEstimateReport,
} from './storage-full';

/** Where a model's files are kept between page loads (the origin-private file system; memory in tests). */
export interface ModelFileStore {
  /** Where `path`'s bytes go, holding what an earlier attempt stored. */
  target(path: string): Promise<DownloadTarget>;
  /** Whether `path` is stored complete. */
  has(path: string): Promise<boolean>;
  /** A stored file (read lazily where the store can). */
  blob(path: string): Promise<Blob>;
}

export interface HubModelSource {
  /** e.g. 'Qwen/Qwen3-0.6B' */
  repo: string;
  revision: string;
  /** e.g. 'https://huggingface.co', or a mirror. */
  endpoint: string;
}

export interface FileProgress {
  path: string;
  loaded: number;
  /** Unknown until the server says. */
  total: number | undefined;
  done: boolean;
}

export interface ModelDownloadProgress {
  files: FileProgress[];
  loaded: number;
  /** Known once every file's size is. */
  total: number | undefined;
  /** Over this session's downloads (bytes already stored do not count). */
  bytesPerSecond: number;
  secondsLeft: number | undefined;
}

export interface FetchHubModelOptions {
  onProgress?: (p: ModelDownloadProgress) => void;
  signal?: AbortSignal;
  fetch?: typeof fetch;
  /** What the browser reports of its storage, for the message when it is full (default navigator.storage.estimate). */
  estimate?: () => Promise<StorageEstimateReport>;
  /**
   * The weight files to fetch once the config is read (default: model.safetensors, or the shards its index
   * names). An ONNX model names its graph and external data files here.
   */
  weightFiles?: (config: unknown, name: string) => string[];
  /** Says what to do about a required weight file the repository does not have (default: a HubModelError naming it). */
  missingWeight?: (path: string, name: string) => Promise<Error>;
}

/**
 * Brings every file of `source` into `store` (what is stored complete is not fetched again)
 * and returns the model's files, read from the store. When the storage is full, throws a
 * StorageFullError; what was stored stays, so a later call resumes.
 */
export async function fetchHubModel(
  source: HubModelSource,
  store: ModelFileStore,
  options: FetchHubModelOptions = {},
): Promise<ModelFiles> {
  const name = `${source.repo}@${source.revision}`;
  const url = (path: string) => hubFileUrl({ ...source, path });
  const files = new Map<string, FileProgress>();
  const started = performance.now();
  const fetched = new Map<string, number>(); // bytes received in this session, by file
  const report = () => {
    const list = [...files.values()];
    const loaded = list.reduce((n, f) => n + f.loaded, 0);
    const total = list.every((f) => f.total !== undefined) ? list.reduce((n, f) => n + (f.total ?? 0), 0) : undefined;
    const session = [...fetched.values()].reduce((n, b) => n + b, 0);
    const rate = session / Math.max((performance.now() - started) / 1000, 1e-3);
    options.onProgress?.({
      files: list.map((f) => ({ ...f })),
      loaded,
      total,
      bytesPerSecond: rate,
      secondsLeft: total !== undefined && rate > 0 ? (total - loaded) / rate : undefined,
    });
  };
  const estimate = options.estimate ?? browserStorageEstimate();
  /** A quota error while writing `path`, in the user's terms; what is stored is left as it is. */
  const storageFull = async (path: string, entry: FileProgress, target: DownloadTarget | undefined) => {
    let stored = entry.loaded;
    try {
      if (target !== undefined) stored = await target.storedBytes();
    } catch {
      // The count from the last progress report stands.
    }
    const total = entry.total;
    return new StorageFullError({
      model: name,
      file: path,
      storedBytes: stored,
      // A file already complete failed while it was being moved into place, which may copy it whole.
      neededBytes: total === undefined ? undefined : total > stored ? total - stored : total,
      freeBytes: estimate === undefined ? undefined : await freeStorageBytes(estimate),
    });
  };
  let missing = async (path: string): Promise<Error> =>
    new HubModelError(`${name}: the repository has no ${path}; a model needs its config and tokenizer files`);
  const get = async (path: string, required: boolean): Promise<boolean> => {
    const entry: FileProgress = { path, loaded: 0, total: undefined, done: false };
    files.set(path, entry);
    let target: DownloadTarget | undefined;
    try {
      // Every step here may write (folders, the .incomplete file, its bytes, the rename), so each may meet a full disk.
      if (await store.has(path)) {
        const size = (await store.blob(path)).size;
        Object.assign(entry, { loaded: size, total: size, done: true });
        report();
        return true;
      }
      target = await store.target(path);
      const resumedFrom = await target.storedBytes(); // loaded, but not fetched in this session
      Object.assign(entry, { loaded: resumedFrom });
      await download(url(path), target, {
        signal: options.signal,
        fetch: options.fetch,
        onProgress: (p) => {
          fetched.set(path, p.loaded - resumedFrom);
          Object.assign(entry, { loaded: p.loaded, total: p.total });
          report();
        },
      });
    } catch (err) {
      if (isQuotaError(err)) throw await storageFull(path, entry, target);
      if (!required && err instanceof DownloadError && /\(404\)/.test(err.message)) {
        // Opening the target made an empty .incomplete file, which would list the model as unfinished.
        await target?.discard?.();
        files.delete(path);
        return false;
      }
      if (err instanceof DownloadError && /\(404\)/.test(err.message)) throw await missing(path);
      throw err;
    } finally {
      await target?.release?.();
    }
    const size = (await store.blob(path)).size;
    Object.assign(entry, { loaded: size, total: size, done: true });
    report();
    return true;
  };

  for (const path of modelMetadataFiles) await get(path, true);
  for (const path of optionalMetadataFiles) await get(path, false);
  // Checked before any weights are fetched.
  const config = parseJsonFile(await (await store.blob('config.json')).text(), `${name}/config.json`);
  parseQwen3Config(config, `${name}/config.json`);
  const missingWeight = options.missingWeight;
  if (missingWeight !== undefined) missing = (path) => missingWeight(path, name);
  const weights = options.weightFiles
    ? options.weightFiles(config, name)
    : (await get('model.safetensors.index.json', false))
      ? shardsOfIndex(
          await (await store.blob('model.safetensors.index.json')).text(),
          `${name}/model.safetensors.index.json`,
        )
      : ['model.safetensors'];
  for (const path of weights) await get(path, true);
  return {
    name,
    exists: (path) => store.has(path),
    text: async (path) => (await store.blob(path)).text(),
    blob: (path) => store.blob(path),
  };
}

/** Keeps files in memory: for tests and benchmarks. */
export class MemoryFileStore implements ModelFileStore {
  private readonly files = new Map<string, { chunks: Uint8Array[]; done: boolean; blob?: Blob }>();

  async target(path: string): Promise<DownloadTarget> {
    const file = this.files.get(path) ?? { chunks: [], done: false };
    this.files.set(path, file);
    return {
      storedBytes: async () => file.blob?.size ?? file.chunks.reduce((n, c) => n + c.byteLength, 0),
      append: async (chunk) => void file.chunks.push(chunk.slice()),
      truncate: async () => {
        file.chunks = [];
        file.blob = undefined;
      },
      // One Blob per finished file: a loader reading it tensor by tensor must not copy it each time.
      complete: async () => {
        file.blob = new Blob(file.chunks.map((c) => new Uint8Array(c)));
        file.chunks = [];
        file.done = true;
      },
    };
  }
  async has(path: string): Promise<boolean> {
    return this.files.get(path)?.done === true;
  }
  async blob(path: string): Promise<Blob> {
    const file = this.files.get(path);
    if (file === undefined) throw new Error(`${path} is not stored`);
    return file.blob ?? new Blob(file.chunks.map((c) => new Uint8Array(c)));
  }
}
