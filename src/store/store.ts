import { create } from 'zustand';
import type { AppStore, StoreServices } from './app-store';
import { browserServices } from './browser-services';
import { createInspectorSlice } from './inspector/actions';
import { createModelsSlice } from './models/slice';
import { createRolloutsSlice } from './rollouts/slice';
import { createTrainingSlice } from './training/slice';
import { createUiSlice } from './ui/slice';

export const createAppStore = (services: StoreServices = browserServices) => {
  const store = create<AppStore>()((...a) => ({
    ...createInspectorSlice(...a),
    ...createUiSlice(...a),
    ...createModelsSlice(services)(...a),
    ...createRolloutsSlice(services)(...a),
    ...createTrainingSlice(services)(...a),
  }));
  // The memory plans follow the Training form and the budget (two slices, so wired here).
  store.subscribe((s, prev) => {
    if (s.trainingSettings !== prev.trainingSettings || s.memoryBudget !== prev.memoryBudget) s.scheduleReplan();
  });
  return store;
};

export const useAppStore = createAppStore();
