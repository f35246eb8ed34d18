import type { ModelFiles } from '../engine/load';
import { fetchHubModel } from '../models/hub-model';
import { opfsModelStore } from '../models/opfs-store';
import { pickedFiles } from '../models/picked-files';
import { urlFiles } from '../models/url-files';
import type { WorkerEnvironment } from './engine-host';

/** Files that come into being on first use (a Hub model is downloaded before its first file is read). */
function lazyFiles(name: string, open: () => Promise<ModelFiles>): ModelFiles {
  let files: Promise<ModelFiles> | undefined;
  const get = () => (files ??= open());
  return {
    name,
    exists: async (path) => (await get()).exists(path),
    text: async (path) => (await get()).text(path),
    blob: async (path) => (await get()).blob(path),
  };
}

// The dev server's base is absolute ('/'); the build's is relative ('./'), and puts the worker's file in
// assets/, one level below the folder that holds ort/ (vite.config.ts serves and copies it there).
const base = import.meta.env.BASE_URL;
const ortBase = base.startsWith('/')
  ? new URL(`${base}ort/`, globalThis.location.href).href
  : new URL('../ort/', import.meta.url).href;

/** Inside a browser worker: the page's WebGPU, model folders fetched over HTTP, and Hub models through the page's cache. */
export const browserEnvironment: WorkerEnvironment = {
  gpu: () => globalThis.navigator?.gpu,
  modelFiles: (source, onDownload, signal) => {
    if (source.folder !== undefined) return pickedFiles(source.name, source.folder);
    const hub = source.hub;
    if (hub === undefined)
      return urlFiles(source.url, { signal, onProgress: (p) => onDownload({ loaded: p.loaded, total: p.total }) });
    return lazyFiles(source.name, async () =>
      fetchHubModel(hub, await opfsModelStore(hub), {
        signal,
        onProgress: (p) =>
          onDownload({
            loaded: p.loaded,
            total: p.total ?? 0,
            files: p.files,
            bytesPerSecond: p.bytesPerSecond,
            secondsLeft: p.secondsLeft,
          }),
      }),
    );
  },
  onnx: {
    store: (source) => opfsModelStore(source),
    devices: ['webgpu', 'wasm'],
    // One onnxruntime-web build serves both devices (the one its WebGPU bundle loads).
    wasmPaths: {
      mjs: `${ortBase}ort-wasm-simd-threaded.asyncify.mjs`,
      wasm: `${ortBase}ort-wasm-simd-threaded.asyncify.wasm`,
    },
  },
};
