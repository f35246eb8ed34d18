import type { WeightStorage } from '../../engine/backend';
import type { BackendChoice } from '../../engine/open-backend';
import type { OnnxDtype } from '../../models/onnx-files';
import type { CachedModel } from '../../models/opfs-store';
import type { PickedFile } from '../../models/picked-files';
import type { FileProgress, LoadedModel, LoadProgress, PlanReply } from '../../workers/protocols';

export type ModelRole = 'student' | 'teacher';

/** The preset id that stands for "a model from the Hub" (its id is in ModelSlot.hubId). */
export const hubPresetId = 'hub';
/** The preset id that stands for "a folder on this computer" (its files are in ModelSlot.folder). */
export const folderPresetId = 'folder';

export interface ModelSlot {
  /** A preset's id, or hubPresetId. */
  presetId: string;
  /** With hubPresetId: owner/name or owner/name@revision. */
  hubId?: string;
  /** With folderPresetId: the folder picked, by name, and its files. */
  folder?: { name: string; files: PickedFile[] };
  status: 'empty' | 'loading' | 'ready' | 'failed';
  progress?: LoadProgress;
  /** The files the last load fetched or read, as its progress last listed them (kept once it is done). */
  files?: FileProgress[];
  loaded?: LoadedModel;
  /** Bytes its engine holds on the backend now (asked after loads and updates); none for an ONNX teacher. */
  engineBytes?: number;
  error?: string;
  /** The load failed because the browser's storage is full (the cached-models panel is where to free it). */
  storageFull?: boolean;
}

/** How WebGPU stores the weights: 'auto' is f16 where the adapter has `shader-f16`, else bf16 (where exact). */
export type WeightChoice = 'auto' | 'f16' | 'bf16' | 'f32';

/** The teacher only scores, so its weights may be quantized as they load (on either backend). */
export const teacherQuantizations = [
  { id: 'none', label: 'not quantized' },
  { id: 'int8', label: 'int8, a scale per row', storage: { format: 'int8' } },
  { id: 'int4-32', label: 'int4, a scale per 32 values', storage: { format: 'int4', groupSize: 32 } },
  { id: 'int4-128', label: 'int4, a scale per 128 values', storage: { format: 'int4', groupSize: 128 } },
] as const satisfies readonly { id: string; label: string; storage?: WeightStorage }[];
export type TeacherQuantization = (typeof teacherQuantizations)[number]['id'];

/** What runs the teacher: the engine, or an ONNX export on transformers.js. */
export type TeacherRuntimeChoice = 'engine' | 'onnx';

export interface ModelsState {
  backend: BackendChoice;
  teacherRuntime: TeacherRuntimeChoice;
  /** The dtype of an ONNX teacher's graph (which `onnx/model*.onnx` is loaded). */
  onnxDtype: OnnxDtype;
  weights: WeightChoice;
  teacherQuantization: TeacherQuantization;
  /** Qwen3's thinking mode for the student's chat template. */
  thinking: boolean;
  /** Where Hub models come from: https://huggingface.co or a mirror. */
  hubEndpoint: string;
  /** The models in the page's cache (undefined until listed), the storage, and the last cache error. */
  cachedModels?: CachedModel[];
  storage?: StorageState;
  cacheError?: string;
  hasWebGpu: boolean;
  /** Why `backend` is the default it is (../../engine/default-backend), until the person picks one. */
  backendReason?: string;
  /** The person picked the backend: the adapter's rule no longer changes it. */
  backendChosen: boolean;
  student: ModelSlot;
  teacher: ModelSlot;
  /** The memory the person says the device has, in bytes: plans over it get a proposal of smaller settings. */
  memoryBudget?: number;
  /** Each loaded model's plan for the Training form's current settings (the load's own plan is of the defaults). */
  plans: Partial<Record<ModelRole, PlanState>>;
}

export interface PlanState {
  /** 'planning' keeps the last reply, if any, on screen until the new one comes. */
  status: 'planning' | 'ready' | 'failed';
  reply?: PlanReply;
  error?: string;
}

export interface ModelsActions {
  setBackend(backend: BackendChoice): void;
  /** The WebGPU adapter is known (undefined: none): the default backend follows the rule, unless one was picked. */
  adapterFound(adapterName: string | undefined): void;
  setWeights(weights: WeightChoice): void;
  setTeacherQuantization(quantization: TeacherQuantization): void;
  setTeacherRuntime(runtime: TeacherRuntimeChoice): void;
  setOnnxDtype(dtype: OnnxDtype): void;
  setThinking(thinking: boolean): void;
  setHubId(role: ModelRole, hubId: string): void;
  setFolder(role: ModelRole, folder: { name: string; files: PickedFile[] }): void;
  setHubEndpoint(endpoint: string): void;
  /** Lists the cached models and the storage estimate again. */
  refreshCache(): Promise<void>;
  deleteCachedModel(repo: string): Promise<void>;
  persistStorage(): Promise<void>;
  setPreset(role: ModelRole, presetId: string): void;
  /** Loads the chosen student and teacher side by side, each in its worker. */
  loadModels(): Promise<void>;
  cancelLoad(): void;
  setMemoryBudget(bytes: number | undefined): void;
  /** Plans the loaded models for the Training form's settings (and the budget) now. */
  replan(): Promise<void>;
  /** Plans them again after a pause: the settings change keystroke by keystroke, and each plan takes a second or more. */
  scheduleReplan(): void;
  /** Asks each loaded engine what it holds now (after an update: activations and caches grow to their peak). */
  refreshEngineMemory(): Promise<void>;
  /** After a failed call: when an engine worker died, its model is gone, so its slot says so. */
  noteWorkerFailure(err: unknown): void;
}

export type ModelsSlice = ModelsState & ModelsActions;

export function modelsReady(s: ModelsState): boolean {
  return s.student.status === 'ready' && s.teacher.status === 'ready';
}

export interface StorageState {
  /** Bytes the origin uses and may use (navigator.storage.estimate()). */
  usage: number;
  quota: number;
  /** Whether the browser keeps the origin's storage under pressure (navigator.storage.persist()). */
  persisted: boolean;
}

export interface ModelCacheService {
  list(): Promise<CachedModel[]>;
  remove(repo: string): Promise<void>;
  storage(): Promise<StorageState>;
  /** Asks the browser to keep the cache; resolves with whether it will. */
  persist(): Promise<boolean>;
}
