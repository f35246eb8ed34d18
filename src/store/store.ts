import { create } from 'zustand';
import { createInspectorSlice, type InspectorSlice } from './inspector/actions';

/** The app's one store, combined from slices. It holds what the UI renders, never GPU handles or workers. */
export type AppStore = InspectorSlice;

export const createAppStore = () => create<AppStore>()((...a) => ({ ...createInspectorSlice(...a) }));

export const useAppStore = createAppStore();
