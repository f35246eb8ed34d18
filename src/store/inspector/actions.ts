import type { StateCreator } from 'zustand';
import { parseRecordLine } from '../../sod/record';
import {
  initialInspectorState,
  type InspectorState,
  type LineError,
  type LoadedTrajectory,
  type SettingsText,
} from './initialState';

export interface InspectorActions {
  /** Parses JSONL text; bad lines are listed with their line numbers, good ones loaded. */
  loadText(text: string, sourceName: string): void;
  select(index: number): void;
  setSetting(name: keyof SettingsText, value: string): void;
  resetSettings(): void;
}

export type InspectorSlice = InspectorState & InspectorActions;

export function parseTrajectoryText(text: string): { trajectories: LoadedTrajectory[]; lineErrors: LineError[] } {
  const trajectories: LoadedTrajectory[] = [];
  const lineErrors: LineError[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      trajectories.push({ lineNumber: i + 1, record: parseRecordLine(line) });
    } catch (err) {
      const message =
        err instanceof SyntaxError
          ? `not valid JSON (${err.message})`
          : err instanceof Error
            ? err.message
            : String(err);
      lineErrors.push({ lineNumber: i + 1, message });
    }
  });
  return { trajectories, lineErrors };
}

export const createInspectorSlice: StateCreator<InspectorSlice, [], [], InspectorSlice> = (set) => ({
  ...initialInspectorState,
  loadText(text, sourceName) {
    set({ ...parseTrajectoryText(text), sourceText: text, sourceName, selected: 0 });
  },
  select(index) {
    set((state) => ({ selected: Math.max(0, Math.min(index, state.trajectories.length - 1)) }));
  },
  setSetting(name, value) {
    set((state) => ({ settings: { ...state.settings, [name]: value } }));
  },
  resetSettings() {
    set({ settings: initialInspectorState.settings });
  },
});
