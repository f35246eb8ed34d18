import type { BackendChoice } from '../../engine/open-backend';
import type { LoadedModel, LoadProgress } from '../../workers/protocols';

export type ModelRole = 'student' | 'teacher';

export interface ModelSlot {
  presetId: string;
  status: 'empty' | 'loading' | 'ready' | 'failed';
  progress?: LoadProgress;
  loaded?: LoadedModel;
  error?: string;
}

export interface ModelsState {
  backend: BackendChoice;
  /** Qwen3's thinking mode for the student's chat template. */
  thinking: boolean;
  hasWebGpu: boolean;
  student: ModelSlot;
  teacher: ModelSlot;
}

export interface ModelsActions {
  setBackend(backend: BackendChoice): void;
  setThinking(thinking: boolean): void;
  setPreset(role: ModelRole, presetId: string): void;
  /** Loads the chosen student and teacher side by side, each in its worker. */
  loadModels(): Promise<void>;
  cancelLoad(): void;
  /** After a failed call: when an engine worker died, its model is gone, so its slot says so. */
  noteWorkerFailure(err: unknown): void;
}

export type ModelsSlice = ModelsState & ModelsActions;

export function modelsReady(s: ModelsState): boolean {
  return s.student.status === 'ready' && s.teacher.status === 'ready';
}
