import type { TrajectoryRecord } from '../../sod/record';

/** One good line of the loaded file, kept as read so every field can be shown. */
export interface LoadedTrajectory {
  lineNumber: number;
  record: TrajectoryRecord;
}

export interface LineError {
  lineNumber: number;
  message: string;
}

/** The step-weighting controls, kept as the text the user typed so nothing typed is lost while it is invalid. */
export interface SettingsText {
  epsilon: string;
  delta: string;
  coef: string;
}

export interface InspectorState {
  /** Where the trajectories came from: a file name, 'pasted text', or a sample's name. */
  sourceName: string | null;
  /** The JSONL text as loaded or pasted. */
  sourceText: string;
  trajectories: LoadedTrajectory[];
  lineErrors: LineError[];
  /** Index into `trajectories`. */
  selected: number;
  settings: SettingsText;
}

export const initialInspectorState: InspectorState = {
  sourceName: null,
  sourceText: '',
  trajectories: [],
  lineErrors: [],
  selected: 0,
  settings: { epsilon: '1e-6', delta: '0.2', coef: '1' },
};
