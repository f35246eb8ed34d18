import { create } from 'zustand';
import { createInspectorSlice, type InspectorSlice } from './inspector/actions';
import { createUiSlice, type UiSlice } from './ui/slice';

/** The app's one store, combined from slices. It holds what the UI renders, never GPU handles or workers. */
export type AppStore = InspectorSlice & UiSlice;

export const createAppStore = () => create<AppStore>()((...a) => ({ ...createInspectorSlice(...a), ...createUiSlice(...a) }));

export const useAppStore = createAppStore();
