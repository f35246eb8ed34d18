/** What the student and teacher workers share: what a model needs of the device, and loading a model folder onto a backend. */
import { parseJsonFile } from '../core/json';
import type { Backend, WeightStorage } from '../engine/backend';
import { matrixBytes, storageForCheckpoint } from '../engine/weight-format';
import { fitMemory } from '../agent/training/memory-fit';
import { defaultTrainingSettings, planPromptTokens, workloadOf } from '../agent/training/settings';
import { parseQwen3Config, type Qwen3Config } from '../engine/config';
import type { LoraConfig } from '../engine/lora';
import { planMemory } from '../engine/memory-plan';
import type { HubModelSource, ModelFileStore } from '../models/hub-model';
import type { OnnxDevice } from '../models/onnx-files';
import { summarizeVocabulary } from '../models/vocabulary';
import { loadQwen3, type ModelFiles } from '../engine/load';
import type { Qwen3Model } from '../engine/model';
import { openBackend, type OpenedBackend } from '../engine/open-backend';
import { allLoraTargets, weightNames } from '../engine/params';
import { weightNeeds, type EngineDevice } from '../engine/webgpu/device';
import type { LoadedModel, LoadProgress, LoadRequest, ModelSource, PlanReply, PlanRequest } from './protocols';

/** What a worker gets from its surroundings: a browser Worker and a Node test differ only here. */
export interface WorkerEnvironment {
  gpu(): GPU | undefined;
  /** The files of a model folder; `onDownload` reports download progress. */
  modelFiles(source: ModelSource, onDownload: (p: DownloadReport) => void, signal: AbortSignal): ModelFiles;
  /** Where an ONNX teacher can run, when it can here. */
  onnx?: OnnxEnvironment;
}

/** What an ONNX teacher needs of its surroundings. */
export interface OnnxEnvironment {
  /** Where a Hub model's files are kept (the page's OPFS cache; memory in tests). */
  store(source: HubModelSource): Promise<ModelFileStore>;
  /** transformers.js devices to try, in order. */
  devices: readonly OnnxDevice[];
  /** onnxruntime-web's runtime files, served by the app (browsers). */
  wasmPaths?: { mjs: string; wasm: string };
}

/** A download's progress as an environment reports it. */
export type DownloadReport = Omit<LoadProgress, 'phase' | 'done' | 'elapsedMs'> & { loaded: number };

/** The config.json of a model (read before the device opens, so a model too big says so at once). */
async function readConfig(files: ModelFiles): Promise<Qwen3Config> {
  const path = `${files.name}/config.json`;
  return parseQwen3Config(parseJsonFile(await files.text('config.json'), path), path);
}

/** A model's tokenizer files, parsed. */
export interface TokenizerJson {
  json: unknown;
  config: unknown;
}

/** What a worker does with its model once loaded, on whichever backend was opened. */
export interface ModelUser<R> {
  /** `tokenizer` is the model's tokenizer.json and tokenizer_config.json, parsed (read once, from where the weights came). */
  use<T>(backend: Backend<T>, model: Qwen3Model<T>, loaded: LoadedModel, tokenizer: TokenizerJson): Promise<R>;
}

/**
 * Opens the requested backend (the CPU, with the reason, when WebGPU cannot be had) and loads
 * the model folder onto it. The device, if any, is returned for the worker to keep while its
 * model is loaded. Before any weights, the memory plan (with the weights stored as the opened
 * backend stores them): of a run of the default training settings with an adapter of `lora`
 * (a student), or of scoring it (a teacher: no `lora`).
 */
export async function openAndLoad<R>(
  request: LoadRequest,
  lora: LoraConfig | undefined,
  env: WorkerEnvironment,
  progress: (p: LoadProgress) => void,
  signal: AbortSignal,
  user: ModelUser<R>,
): Promise<{ result: R; device?: EngineDevice; planBasis: PlanBasis }> {
  const started = performance.now();
  let downloaded = 0;
  const files = env.modelFiles(
    request.source,
    ({ loaded, ...rest }) => {
      downloaded = loaded;
      progress({ phase: 'download', done: loaded, elapsedMs: performance.now() - started, ...rest });
    },
    signal,
  );
  const config = await readConfig(files);
  const planWorkload = workloadOf(defaultTrainingSettings, planPromptTokens);
  let weights: WeightStorage = { format: 'f32' };
  const opened = await openBackend(
    {
      choice: request.backend,
      gpu: env.gpu(),
      needs: weightNeeds(config),
      fallBackToCpu: true,
      ...(request.weights !== undefined ? { weights: request.weights } : {}),
    },
    {
      run: async (backend, how) => {
        weights = storageForCheckpoint(how.weights, config.torchDtype);
        const plan = await planMemory(config, planWorkload, lora, weights);
        const { model, describe } = await loadModel(backend, request, files, progress, signal, started);
        const tokenizer: TokenizerJson = {
          json: parseJsonFile(await files.text('tokenizer.json'), `${files.name}/tokenizer.json`),
          config: parseJsonFile(await files.text('tokenizer_config.json'), `${files.name}/tokenizer_config.json`),
        };
        const vocabulary = summarizeVocabulary({
          name: request.source.name,
          tokenizerJson: tokenizer.json,
          vocabSize: config.vocabSize,
        });
        const loaded = { ...describe(how), plan, planWorkload, vocabulary, downloadedBytes: downloaded };
        return user.use(backend, model, loaded, tokenizer);
      },
    },
  );
  return { ...opened, planBasis: { config, weights } };
}

/** What a loaded model's plans are made of: its config, and how its weights are stored. */
export interface PlanBasis {
  config: Qwen3Config;
  weights: WeightStorage;
}

/**
 * The plan of a loaded model for a run of `request.settings`: a student trains an adapter of
 * the run's rank, a teacher only scores. Over a budget, a student also gets fitMemory's
 * proposal, the one `sodp plan --memory` prints.
 */
export async function planFor(
  { config, weights }: PlanBasis,
  role: 'student' | 'teacher',
  request: PlanRequest,
): Promise<PlanReply> {
  const { settings, budgetBytes } = request;
  const workload = workloadOf(settings, planPromptTokens);
  const lora =
    role === 'student' ? { rank: settings.loraRank, alpha: 2 * settings.loraRank, targets: allLoraTargets } : undefined;
  const plan = await planMemory(config, workload, lora, weights);
  const over = budgetBytes !== undefined && plan.totalBytes > budgetBytes;
  if (!over || lora === undefined) return { settings, workload, plan };
  const fit = await fitMemory(config, settings, { targets: allLoraTargets }, planPromptTokens, budgetBytes, weights);
  return { settings, workload, plan, fit };
}

/** Loads a model's weights onto `backend`, reporting tensors uploaded. */
async function loadModel<T>(
  backend: Backend<T>,
  request: LoadRequest,
  files: ModelFiles,
  progress: (p: LoadProgress) => void,
  signal: AbortSignal,
  started: number,
): Promise<{
  model: Qwen3Model<T>;
  describe(opened: OpenedBackend): Omit<LoadedModel, 'plan' | 'planWorkload' | 'vocabulary' | 'downloadedBytes'>;
}> {
  const model = await loadQwen3(backend, files, (p) => {
    signal.throwIfAborted();
    progress({ phase: 'upload', done: p.done, total: p.total, elapsedMs: performance.now() - started });
  });
  const c = model.config;
  const count = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
  const parameters = weightNames(c).reduce((n, w) => n + count(w.shape), 0);
  // Matrices in the backend's format, vectors (the norms) in f32.
  const weightBytes = (storage: WeightStorage) =>
    weightNames(c).reduce(
      (n, w) => n + (w.shape.length === 2 ? matrixBytes(storage, count(w.shape), w.shape[1]) : 4 * count(w.shape)),
      0,
    );
  return {
    model,
    describe: (opened) => {
      const stored = storageForCheckpoint(opened.weights, c.torchDtype);
      return {
        name: request.source.name,
        backend: opened.device === 'CPU' ? 'cpu' : 'webgpu',
        device: opened.device,
        layers: c.numLayers,
        hiddenSize: c.hiddenSize,
        vocabSize: c.vocabSize,
        parameters,
        weights: stored,
        weightBytes: weightBytes(stored),
        allocatedBytes: backend.liveBytes,
        ...(opened.limits !== undefined ? { limits: opened.limits } : {}),
        seconds: (performance.now() - started) / 1000,
        ...(opened.fallback !== undefined ? { fallback: opened.fallback } : {}),
      };
    },
  };
}
