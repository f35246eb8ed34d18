import { parseTasks, type Task } from '../agent/tasks/task';
import { PlaygroundWorkers } from '../workers/playground-workers';
import { deleteCachedModel, listCachedModels } from '../models/opfs-store';
import type { StoreServices } from './app-store';
import { findAdapterName } from '../engine/webgpu/device';
import type { ModelCacheService } from './models/types';
import { indexedDbCheckpointStore } from './training/checkpoints';

function resolveUrl(path: string): string {
  return new URL(`${import.meta.env.BASE_URL}${path}`, globalThis.location?.href ?? 'http://localhost/').href;
}

async function fetchTasks(file: string): Promise<Task[]> {
  const url = resolveUrl(`tasks/${file}`);
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return parseTasks(await response.text(), file);
}

/** The origin-private file system's model cache and the browser's storage manager. */
const modelCache: ModelCacheService = {
  list: () => listCachedModels(),
  remove: deleteCachedModel,
  async storage() {
    const { usage = 0, quota = 0 } = await navigator.storage.estimate();
    return { usage, quota, persisted: await navigator.storage.persisted() };
  },
  persist: () => navigator.storage.persist(),
};

let workers: (PlaygroundWorkers & { tasks(file: string): Promise<Task[]> }) | undefined;

/** The page's services: its three workers (started on first use) and the task files it serves. */
export const browserServices: StoreServices = {
  client: () => (workers ??= Object.assign(new PlaygroundWorkers(), { tasks: fetchTasks })),
  hasWebGpu: () => globalThis.navigator?.gpu !== undefined,
  findAdapterName: () => findAdapterName(globalThis.navigator?.gpu),
  resolveUrl,
  modelCache,
  checkpoints: indexedDbCheckpointStore(),
};
