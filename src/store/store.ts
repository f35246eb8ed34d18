import { create } from 'zustand';
import type { Task } from '../agent/tasks/task';
import type { PlaygroundClient } from '../workers/playground-workers';
import { browserServices } from './browser-services';
import { createInspectorSlice, type InspectorSlice } from './inspector/actions';
import { createModelsSlice, type ModelsSlice } from './models/slice';
import { createRolloutsSlice, type RolloutsSlice } from './rollouts/slice';
import { createTrainingSlice, type TrainingSlice } from './training/slice';
import { createUiSlice, type UiSlice } from './ui/slice';

/** The app's one store, combined from slices. It holds what the UI renders, never GPU handles or workers. */
export type AppStore = InspectorSlice & UiSlice & ModelsSlice & RolloutsSlice & TrainingSlice;

/** What the store's actions reach outside it: the workers, the task files, URLs. Tests give in-thread versions. */
export interface StoreServices {
  client(): PlaygroundClient & { tasks(file: string): Promise<Task[]> };
  hasWebGpu(): boolean;
  /** A path under the app's base URL as an absolute URL (workers fetch with it). */
  resolveUrl(path: string): string;
}

export const createAppStore = (services: StoreServices = browserServices) =>
  create<AppStore>()((...a) => ({
    ...createInspectorSlice(...a),
    ...createUiSlice(...a),
    ...createModelsSlice(services)(...a),
    ...createRolloutsSlice(services)(...a),
    ...createTrainingSlice(services)(...a),
  }));

export const useAppStore = createAppStore();
