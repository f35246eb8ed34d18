/**
 * The messages between the playground's main thread and its three workers (docs/architecture.md, "Threads and workers"):
 * the student engine, the teacher engine and the Python sandbox. The student worker runs the
 * agent loop; it reaches the teacher and the sandbox over MessagePorts the main thread wires up.
 */
import type { EvaluationSummary } from '../agent/evaluate';
import type { CheckpointStudent } from '../agent/training/checkpoint';
import type { MemoryFit } from '../agent/training/memory-fit';
import type { TrainingSettings } from '../agent/training/settings';
import type { SamplingSettings } from '../core/policy';
import type { RolloutEvent, RolloutLimits } from '../agent/rollout';
import type { Task } from '../agent/tasks/task';
import type { Trajectory } from '../agent/trajectory';
import type { UpdateMetrics, UpdateSettings } from '../agent/update';
import type { MemoryPlan, Workload } from '../engine/memory-plan';
import type { AdamWSettings, WeightStorage } from '../engine/backend';
import type { LoraTarget } from '../engine/params';
import type { OptimizerState } from '../engine/train';
import type { BackendChoice } from '../engine/open-backend';
import type { FileProgress, HubModelSource } from '../models/hub-model';
export type { FileProgress };
import type { OnnxDevice, OnnxDtype } from '../models/onnx-files';
import type { PickedFile } from '../models/picked-files';
import type { VocabularySummary } from '../models/vocabulary';
import type { ToolRun } from '../tools/sandbox';

/** A model folder laid out like the Hub's: `${url}config.json`, `${url}model.safetensors`, tokenizer files. */
export interface ModelSource {
  /** Base URL ending in '/' (unused when `hub` is given). */
  url: string;
  /** A model on the Hub (or a mirror), downloaded into the page's cache and loaded from there. */
  hub?: HubModelSource;
  /** A folder the person picked from disk: its files by path. */
  folder?: PickedFile[];
  /** Shown in the UI and written into exports (e.g. the adapter's base model). */
  name: string;
}

/** What runs a teacher: the engine (the default), or an ONNX export of it on transformers.js in the dtype chosen. */
export type TeacherRuntime = { kind: 'engine' } | { kind: 'onnx'; dtype: OnnxDtype };

export interface LoadRequest {
  source: ModelSource;
  /** The engine's backend (an ONNX teacher tries WebGPU, then wasm, whatever this says). */
  backend: BackendChoice;
  /** A teacher's runtime (default: the engine); the student always runs on the engine. */
  runtime?: TeacherRuntime;
  /** Qwen3's thinking mode for the student's chat template (default: defaultThinking); the teacher ignores it. */
  thinking?: boolean;
  /**
   * How the weights are stored: by default f16 on WebGPU where the adapter has `shader-f16`,
   * f32 on the CPU. int8/int4 only for a teacher (a student trains on its weights).
   */
  weights?: WeightStorage;
}

export interface LoadProgress {
  /** An ONNX teacher reads its stored files into onnxruntime ('read'), then creates its session ('session'). */
  phase: 'download' | 'upload' | 'read' | 'session';
  /** Bytes fetched so far (download) or read (read), or tensors uploaded (upload); 0 while a session is created. */
  done: number;
  /** Total bytes (0 when the server does not say) or tensors. */
  total: number;
  /** The device a session is being created on ('session'). */
  device?: string;
  /** Milliseconds since the load began. */
  elapsedMs: number;
  /** A Hub download: each file's progress, the rate of this session and the time left. */
  files?: FileProgress[];
  bytesPerSecond?: number;
  secondsLeft?: number;
}

export interface LoadedModel {
  name: string;
  backend: BackendChoice;
  /** The adapter's name on WebGPU ('SwiftShader Device (Subzero)', 'NVIDIA H100 …'), 'CPU' otherwise. */
  device: string;
  layers: number;
  hiddenSize: number;
  vocabSize: number;
  parameters: number;
  /** How the backend stores the matrices (the norms stay f32). */
  weights: WeightStorage;
  /** Bytes the weights take on the backend. */
  weightBytes: number;
  /** Bytes the engine held on its backend right after loading (its own count, Backend.liveBytes). */
  allocatedBytes: number;
  /**
   * What the model will take in a run of the default training settings (a student) or scoring them (a teacher), planned
   * before loading; none for an ONNX teacher, whose memory onnxruntime manages.
   */
  plan?: MemoryPlan;
  /** The workload the plan is for. */
  planWorkload?: Workload;
  /** An ONNX teacher: the dtype of its graph and the transformers.js device it runs on. */
  onnx?: { dtype: OnnxDtype; device: OnnxDevice };
  /** On WebGPU, the device's limits on one buffer and one storage binding, in bytes. */
  limits?: { maxBufferSize: number; maxStorageBufferBindingSize: number };
  /** Its tokenizer in brief: a student and a teacher must share it. */
  vocabulary: VocabularySummary;
  downloadedBytes: number;
  seconds: number;
  /** Why the backend asked for was not used, when it was not. */
  fallback?: string;
}

/** A loaded model's memory plan for a run of `settings` (the Training form's), against a budget if given. */
export interface PlanRequest {
  settings: TrainingSettings;
  /** The memory there is, in bytes: over it, a student gets the largest settings that fit (fitMemory). */
  budgetBytes?: number;
}

export interface PlanReply {
  /** The settings planned (the request's). */
  settings: TrainingSettings;
  workload: Workload;
  plan: MemoryPlan;
  /** With a budget the plan exceeds, for a student: what fitMemory found. */
  fit?: MemoryFit;
}

/** What an engine worker's model holds now, asked after loads and updates (the header shows it). */
export interface EngineMemory {
  /** Bytes the engine holds on its backend (Backend.liveBytes); undefined for an ONNX teacher, whose memory onnxruntime keeps. */
  engineBytes?: number;
}

/** Top alternatives at each response position: [token id, log-probability] pairs, most likely first. */
export type TokenAlternatives = [number, number][][];

/** What the teacher serves to the student over their port. */
export type ScorerProtocol = {
  score: { request: { promptIds: number[]; responseIds: number[] }; response: number[]; progress: never };
  alternatives: {
    request: { promptIds: number[]; responseIds: number[]; k: number };
    response: TokenAlternatives;
    progress: never;
  };
};

export type TeacherProtocol = ScorerProtocol & {
  load: { request: LoadRequest; response: LoadedModel; progress: LoadProgress };
  /** The loaded teacher's plan for scoring a run of these settings. */
  plan: { request: PlanRequest; response: PlanReply; progress: never };
  memory: { request: null; response: EngineMemory; progress: never };
  /** Serves ScorerProtocol on `port` (its other end goes to the student worker). */
  connect: { request: { port: MessagePort }; response: null; progress: never };
};

/** What the main thread serves to the student over the sandbox port: the PythonSandbox it owns. */
export type ToolProtocol = {
  run: { request: { code: string; session: string }; response: ToolRun; progress: never };
  endSession: { request: { session: string }; response: null; progress: never };
};

/** A trajectory as the playground shows it: the file's fields plus each response token's text. */
export type PlaygroundTrajectory = Trajectory & {
  tokens: string[];
  /** Top alternatives per response token as [text, log-probability], once computed. */
  student_top?: [string, number][][];
  teacher_top?: [string, number][][];
};

export interface AdapterSettings {
  rank: number;
  /** LoRA alpha (scale alpha / rank). */
  alpha: number;
  learningRate: number;
  seed: number;
}

/** The student's training state after an update: what a checkpoint keeps of the worker. */
export interface StudentTrainingState {
  student: CheckpointStudent;
  adapter: { rank: number; alpha: number; targets: LoraTarget[] };
  optimizer: { settings: AdamWSettings; state: OptimizerState };
  /** The adapter's parameters. */
  lora: Float32Array;
}

/** An adapter and optimizer to take over from a checkpoint, for the student it names. */
export interface AdapterRestore {
  adapter: AdapterSettings;
  student: CheckpointStudent;
  lora: Float32Array;
  optimizer: OptimizerState;
  /** The checkpoint, as the person knows it (errors name it). */
  where: string;
}

/** Live events of rollouts: which trajectory, and what happened in it. */
export type RolloutProgress =
  | { kind: 'event'; index: number; total: number; event: RolloutEvent }
  | { kind: 'trajectory'; index: number; trajectory: PlaygroundTrajectory }
  | { kind: 'phase'; phase: 'rollout' | 'score' | 'train' };

export interface RolloutRequest {
  tasks: Task[];
  groupSize: number;
  sampling: SamplingSettings;
  limits: Partial<RolloutLimits>;
  /** Score every token with the teacher (τ) and the student (s) after sampling. */
  score: boolean;
}

export type StudentProtocol = {
  load: { request: LoadRequest; response: LoadedModel; progress: LoadProgress };
  /** The loaded student's plan for a training run of these settings. */
  plan: { request: PlanRequest; response: PlanReply; progress: never };
  connectTeacher: { request: { port: MessagePort }; response: null; progress: never };
  connectSandbox: { request: { port: MessagePort }; response: null; progress: never };
  /** A fresh LoRA adapter (B = 0, so the student starts exactly as loaded) and optimizer. */
  newAdapter: { request: AdapterSettings; response: { parameters: number }; progress: never };
  /** The adapter and optimizer of a checkpoint, so the next update is the one that would have followed it. */
  restoreAdapter: { request: AdapterRestore; response: { parameters: number }; progress: never };
  /** The adapter, the optimizer's state and the student's dimensions, for a checkpoint. */
  trainingState: { request: null; response: StudentTrainingState; progress: never };
  rollout: { request: RolloutRequest; response: PlaygroundTrajectory[]; progress: RolloutProgress };
  update: {
    request: { update: number; tasks: Task[]; settings: UpdateSettings };
    response: { trajectories: PlaygroundTrajectory[]; metrics: UpdateMetrics };
    progress: RolloutProgress;
  };
  evaluate: {
    request: { tasks: Task[]; limits: Partial<RolloutLimits> };
    response: EvaluationSummary;
    progress: { done: number; total: number; correct: number };
  };
  /** The student's and the teacher's top-k at every response position, as text. */
  alternatives: {
    request: { promptIds: number[]; responseIds: number[]; k: number };
    response: { student: [string, number][][]; teacher?: [string, number][][] };
    progress: never;
  };
  exportAdapter: { request: null; response: { config: string; weights: Uint8Array }; progress: never };
  memory: { request: null; response: EngineMemory; progress: never };
};
