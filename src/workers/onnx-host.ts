/** Loading an ONNX teacher in the teacher worker: the page's downloader, then transformers.js on its files. */
import { parseJsonFile } from '../core/json';
import { parseQwen3Config } from '../engine/config';
import { weightNames } from '../engine/params';
import { fetchOnnxModel, onnxWeightFiles, type OnnxDtype } from '../models/onnx-files';
import type { OnnxTeacher } from '../models/onnx-teacher';
import { summarizeVocabulary } from '../models/vocabulary';
import type { Handlers } from '../core/rpc/rpc';
import type { WorkerEnvironment } from './engine-host';
import type { LoadedModel, LoadProgress, LoadRequest, ScorerProtocol } from './protocols';

export interface LoadedOnnxTeacher {
  handlers: Handlers<ScorerProtocol>;
  loaded: LoadedModel;
  dispose(): Promise<void>;
}

/**
 * Downloads the model's config, tokenizer, graph of `dtype` and external data into the
 * environment's store (resumed, with progress per file), then loads it with transformers.js,
 * imported only now so that onnxruntime is fetched by the page only when an ONNX teacher is used.
 */
export async function loadOnnxTeacher(
  request: LoadRequest,
  dtype: OnnxDtype,
  env: WorkerEnvironment,
  progress: (p: LoadProgress) => void,
  signal: AbortSignal,
): Promise<LoadedOnnxTeacher> {
  const hub = request.source.hub;
  if (hub === undefined)
    throw new Error(
      'an ONNX teacher comes from the Hub or a server laid out like it: choose an ONNX preset or a Hub id',
    );
  const onnx = env.onnx;
  if (onnx === undefined) throw new Error('ONNX teachers cannot run here');
  const started = performance.now();
  const elapsedMs = () => performance.now() - started;
  let downloaded = 0;
  const store = await onnx.store(hub);
  const files = await fetchOnnxModel(hub, store, dtype, {
    signal,
    onProgress: (p) => {
      downloaded = p.loaded;
      progress({
        phase: 'download',
        done: p.loaded,
        total: p.total ?? 0,
        elapsedMs: elapsedMs(),
        files: p.files,
        bytesPerSecond: p.bytesPerSecond,
        ...(p.secondsLeft !== undefined ? { secondsLeft: p.secondsLeft } : {}),
      });
    },
  });
  const configJson = parseJsonFile(await files.text('config.json'), `${files.name}/config.json`);
  const config = parseQwen3Config(configJson, `${files.name}/config.json`);
  const vocabulary = summarizeVocabulary({
    name: request.source.name,
    tokenizerJson: parseJsonFile(await files.text('tokenizer.json'), `${files.name}/tokenizer.json`),
    vocabSize: config.vocabSize,
  });
  let fileBytes = 0;
  for (const path of onnxWeightFiles(configJson, dtype)) fileBytes += (await files.blob(path)).size;

  // The CPU chosen (the page's default on a software adapter such as SwiftShader): onnxruntime's wasm,
  // not its WebGPU provider, which scored 14× slower there (npm run bench -- teacher-paths).
  const devices = request.backend === 'cpu' ? onnx.devices.filter((d) => d !== 'webgpu') : onnx.devices;
  if (devices.length === 0) throw new Error('ONNX teachers run only on WebGPU here: choose the WebGPU backend');
  const { OnnxTeacher } = await import('../models/onnx-teacher');
  const teacher: OnnxTeacher = await OnnxTeacher.load({
    source: hub,
    dtype,
    store,
    devices,
    ...(onnx.wasmPaths !== undefined ? { wasmPaths: onnx.wasmPaths } : {}),
    signal,
    onProgress: (event) => {
      if (event.stage === 'session') {
        progress({ phase: 'session', done: 0, total: 0, elapsedMs: elapsedMs(), device: event.device });
        return;
      }
      progress({
        phase: 'read',
        done: event.files.reduce((n, f) => n + f.loaded, 0),
        total: event.files.reduce((n, f) => n + f.total, 0),
        elapsedMs: elapsedMs(),
        files: event.files.map((f) => ({ ...f, done: f.loaded >= f.total })),
      });
    },
  });
  const parameters = weightNames(config).reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0);
  const loaded: LoadedModel = {
    name: request.source.name,
    backend: teacher.device === 'webgpu' ? 'webgpu' : 'cpu',
    device: `transformers.js · ${teacher.device}`,
    layers: config.numLayers,
    hiddenSize: config.hiddenSize,
    vocabSize: config.vocabSize,
    parameters,
    // The engine's formats have no q4; the card shows `onnx.dtype` instead of this.
    weights: { format: dtype === 'fp32' ? 'f32' : 'f16' },
    weightBytes: fileBytes,
    // onnxruntime does not report what it holds.
    allocatedBytes: 0,
    vocabulary,
    downloadedBytes: downloaded,
    seconds: elapsedMs() / 1000,
    onnx: { dtype, device: teacher.device },
    ...(teacher.fallback !== undefined ? { fallback: teacher.fallback } : {}),
  };
  return {
    loaded,
    handlers: {
      score: ({ promptIds, responseIds }, { signal }) => teacher.scoreTokens(promptIds, responseIds, signal),
      alternatives: ({ promptIds, responseIds, k }, { signal }) =>
        teacher.alternatives(promptIds, responseIds, k, signal),
    },
    dispose: () => teacher.dispose(),
  };
}
