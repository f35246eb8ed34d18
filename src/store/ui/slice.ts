import type { StateCreator } from 'zustand';

export const views = ['models', 'rollouts', 'inspect', 'train'] as const;
export type View = (typeof views)[number];

export interface UiState {
  /** Explain mode: short teaching notes beside every view. */
  explain: boolean;
  view: View;
  /** A message about the app itself (e.g. saved runs could not be restored), until dismissed. */
  notice?: string;
}

export interface UiActions {
  setExplain(on: boolean): void;
  setView(view: View): void;
  setNotice(notice: string | undefined): void;
}

export type UiSlice = UiState & UiActions;

export const initialUiState: UiState = { explain: false, view: 'models' };

export const createUiSlice: StateCreator<UiSlice, [], [], UiSlice> = (set) => ({
  ...initialUiState,
  setExplain: (explain) => set({ explain }),
  setView: (view) => set({ view }),
  setNotice: (notice) => set({ notice }),
});
