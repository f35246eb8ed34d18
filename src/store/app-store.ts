import type { Task } from '../agent/tasks/task';
import type { PlaygroundClient } from '../workers/playground-workers';
import type { InspectorSlice } from './inspector/actions';
import type { ModelCacheService, ModelsSlice } from './models/types';
import type { RolloutsSlice } from './rollouts/types';
import type { CheckpointStore } from './training/checkpoints';
import type { TrainingSlice } from './training/types';
import type { UiSlice } from './ui/slice';

/** The app's one store, combined from slices. It holds what the UI renders, never GPU handles or workers. */
export type AppStore = InspectorSlice & UiSlice & ModelsSlice & RolloutsSlice & TrainingSlice;

/** What the store's actions reach outside it: the workers, the task files, URLs. Tests give in-thread versions. */
export interface StoreServices {
  client(): PlaygroundClient & { tasks(file: string): Promise<Task[]> };
  hasWebGpu(): boolean;
  /** The WebGPU adapter's name, once requested (undefined: none); absent where the page does not ask. */
  findAdapterName?(): Promise<string | undefined>;
  /** A path under the app's base URL as an absolute URL (workers fetch with it). */
  resolveUrl(path: string): string;
  /** The page's cache of downloaded models, and the browser's storage. */
  modelCache: ModelCacheService;
  /** Where training runs' checkpoints are kept (IndexedDB in the page). */
  checkpoints: CheckpointStore;
}
