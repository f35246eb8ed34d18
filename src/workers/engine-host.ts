/** What the student and teacher workers share: choosing a backend and loading a model folder onto it. */
import type { Backend } from '../engine/backend';
import { CpuBackend } from '../engine/cpu/backend';
import { loadQwen3, type ModelFiles } from '../engine/load';
import type { Qwen3Model } from '../engine/model';
import { weightNames } from '../engine/params';
import { WebGpuBackend } from '../engine/webgpu/backend';
import { parseQwen3Config } from '../engine/config';
import {
  GpuUnavailableError,
  openEngineDevice,
  weightNeeds,
  type DeviceNeeds,
  type EngineDevice,
} from '../engine/webgpu/device';
import type { BackendChoice, LoadedModel, LoadProgress, LoadRequest, ModelSource } from './protocols';

/** What a worker gets from its surroundings: a browser Worker and a Node test differ only here. */
export interface WorkerEnvironment {
  gpu(): GPU | undefined;
  /** The files of a model folder; `onBytes` reports download progress. */
  modelFiles(source: ModelSource, onBytes: (loaded: number, total: number) => void, signal: AbortSignal): ModelFiles;
}

/** Code that works with whichever backend was opened. */
export interface BackendUser<R> {
  run<T>(backend: Backend<T>, device: string, fallback: string | undefined): Promise<R>;
}

/** Opens the chosen backend; WebGPU falls back to the CPU, with the reason, when no adapter can be had. */
export async function onBackend<R>(
  choice: BackendChoice,
  gpu: GPU | undefined,
  needs: DeviceNeeds,
  user: BackendUser<R>,
): Promise<{ result: R; device?: EngineDevice }> {
  if (choice === 'cpu') return { result: await user.run(new CpuBackend(), 'CPU', undefined) };
  if (gpu === undefined)
    return {
      result: await user.run(
        new CpuBackend(),
        'CPU',
        'this browser has no WebGPU (navigator.gpu is missing), so the model runs on the CPU',
      ),
    };
  let device: EngineDevice;
  try {
    device = await openEngineDevice(gpu, needs);
  } catch (err) {
    if (!(err instanceof GpuUnavailableError)) throw err;
    return {
      result: await user.run(
        new CpuBackend(),
        'CPU',
        `WebGPU could not be used (${err.message}), so the model runs on the CPU`,
      ),
    };
  }
  try {
    return { result: await user.run(new WebGpuBackend(device), device.adapterName, undefined), device };
  } catch (err) {
    device.destroy();
    throw err;
  }
}

/** What the model in `source` needs of a WebGPU device, from its config.json (read before the device opens, so a model too big says so at once). */
export async function modelNeeds(
  source: ModelSource,
  env: WorkerEnvironment,
  signal: AbortSignal,
): Promise<DeviceNeeds> {
  const files = env.modelFiles(source, () => {}, signal);
  return weightNeeds(parseQwen3Config(JSON.parse(await files.text('config.json')), `${files.name}/config.json`));
}

/** Loads a model folder onto `backend`, reporting bytes downloaded and then tensors uploaded. */
export async function loadModel<T>(
  backend: Backend<T>,
  request: LoadRequest,
  env: WorkerEnvironment,
  progress: (p: LoadProgress) => void,
  signal: AbortSignal,
): Promise<{ model: Qwen3Model<T>; describe(device: string, fallback: string | undefined): LoadedModel }> {
  const started = performance.now();
  let downloaded = 0;
  const files = env.modelFiles(
    request.source,
    (loaded, total) => {
      downloaded = loaded;
      progress({ phase: 'download', done: loaded, total, elapsedMs: performance.now() - started });
    },
    signal,
  );
  const model = await loadQwen3(backend, files, (p) => {
    signal.throwIfAborted();
    progress({ phase: 'upload', done: p.done, total: p.total, elapsedMs: performance.now() - started });
  });
  const c = model.config;
  const parameters = weightNames(c).reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0);
  return {
    model,
    describe: (device, fallback) => ({
      name: request.source.name,
      backend: device === 'CPU' ? 'cpu' : 'webgpu',
      device,
      layers: c.numLayers,
      hiddenSize: c.hiddenSize,
      vocabSize: c.vocabSize,
      parameters,
      weightBytes: parameters * 4,
      downloadedBytes: downloaded,
      seconds: (performance.now() - started) / 1000,
      ...(fallback !== undefined ? { fallback } : {}),
    }),
  };
}
