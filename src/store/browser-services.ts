import { parseTasks, type Task } from '../agent/tasks/task';
import { PlaygroundWorkers } from '../workers/playground-workers';
import type { StoreServices } from './app-store';

function resolveUrl(path: string): string {
  return new URL(`${import.meta.env.BASE_URL}${path}`, globalThis.location?.href ?? 'http://localhost/').href;
}

async function fetchTasks(file: string): Promise<Task[]> {
  const url = resolveUrl(`tasks/${file}`);
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return parseTasks(await response.text(), file);
}

let workers: (PlaygroundWorkers & { tasks(file: string): Promise<Task[]> }) | undefined;

/** The page's services: its three workers (started on first use) and the task files it serves. */
export const browserServices: StoreServices = {
  client: () => (workers ??= Object.assign(new PlaygroundWorkers(), { tasks: fetchTasks })),
  hasWebGpu: () => globalThis.navigator?.gpu !== undefined,
  resolveUrl,
};
