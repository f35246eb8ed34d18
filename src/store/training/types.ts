import type { EvaluationSummary } from '../../agent/evaluate';
import type { UpdateMetrics } from '../../agent/update';
import type { TrainingSettings } from '../../agent/training/settings';
import type { PlaygroundTrajectory } from '../../workers/protocols';

export type RunStatus = 'running' | 'paused' | 'stopped' | 'done' | 'failed';

/** One held-out evaluation of a run: greedy accuracy on the held-out problems after `update` updates (0 = before). */
export interface HeldOutPoint {
  update: number;
  accuracy: number;
  correct: number;
  n: number;
}

/** One training run as the UI shows it: its settings, one metrics row per finished update, its evaluations. */
export interface TrainingRun {
  id: string;
  /** e.g. "SOD #1". */
  label: string;
  settings: TrainingSettings;
  status: RunStatus;
  metrics: UpdateMetrics[];
  evaluation: { before?: EvaluationSummary; after?: EvaluationSummary };
  /** Every held-out evaluation of the run in order (before, every `evalEvery` updates, after): its learning curve. */
  curve: HeldOutPoint[];
  error?: string;
  /** The update its latest saved checkpoint covers (absent: none saved): it can be resumed from there. */
  checkpoint?: number;
  /** Why the latest checkpoint could not be saved (the run went on; `checkpoint` is the one kept). */
  checkpointError?: string;
}

export interface TrainingState {
  trainingSettings: TrainingSettings;
  runs: TrainingRun[];
  /** Every scored trajectory of each run, by run id (for export and the inspector). */
  runTrajectories: Record<string, PlaygroundTrajectory[]>;
  /** What the active run is doing now, in words ("update 2 of 5: rollouts 3/8"). */
  trainingActivity?: string;
  trainingError?: string;
}

export interface TrainingActions {
  setTrainingSettings(patch: Partial<TrainingSettings>): void;
  /** Starts a run from the loaded student with a fresh adapter; the runs before it stay on the charts. */
  startRun(): Promise<void>;
  /** Takes effect after the update in progress. */
  pauseRun(): void;
  resumeRun(): void;
  /** Cancels the update in progress; finished updates and the adapter stay. */
  stopRun(): void;
  removeRun(id: string): void;
  /** Notes which runs have a saved checkpoint (after a reload: the ones that can be resumed). */
  refreshCheckpoints(): Promise<void>;
  /**
   * Goes on with run `id` from its saved checkpoint, with the same adapter, optimizer state,
   * prompt order and random streams, so it continues exactly as it would have (same models,
   * same backend); its records after the checkpoint are dropped.
   */
  resumeFromCheckpoint(id: string): Promise<void>;
  /** Run `id` in one ZIP: its settings, metrics, trajectories, and its checkpoint and adapter (run-archive.ts). */
  runArchive(id: string): Promise<Uint8Array<ArrayBuffer>>;
  /** Adds the run of a ZIP `runArchive` made (from this page or another), with its checkpoint to resume from. */
  importRun(bytes: Uint8Array, fileName: string): Promise<void>;
  /** The student's current adapter (the latest run's) as a zipped PEFT folder. */
  adapterZip(): Promise<Uint8Array<ArrayBuffer>>;
}

export type TrainingSlice = TrainingState & TrainingActions;
