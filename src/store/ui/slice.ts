import type { StateCreator } from 'zustand';

export const views = ['models', 'rollouts', 'inspect', 'train'] as const;
export type View = (typeof views)[number];

export interface UiState {
  /** Explain mode: short teaching notes beside every view. */
  explain: boolean;
  view: View;
}

export interface UiActions {
  setExplain(on: boolean): void;
  setView(view: View): void;
}

export type UiSlice = UiState & UiActions;

export const initialUiState: UiState = { explain: false, view: 'models' };

export const createUiSlice: StateCreator<UiSlice, [], [], UiSlice> = (set) => ({
  ...initialUiState,
  setExplain: (explain) => set({ explain }),
  setView: (view) => set({ view }),
});
