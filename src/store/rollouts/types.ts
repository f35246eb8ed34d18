import type { TaskSetFile } from '../../models/presets';
import type { PlaygroundTrajectory } from '../../workers/protocols';
import type { LiveTrajectory } from './live';

export interface RolloutSettings {
  taskSet: TaskSetFile;
  /** Index of the first problem of the set. */
  first: number;
  problems: number;
  groupSize: number;
  temperature: number;
  topP: number;
  maxTurns: number;
  /** New tokens per assistant turn. */
  maxTokens: number;
  seed: number;
}

export interface RolloutsState {
  rolloutSettings: RolloutSettings;
  rolloutStatus: 'idle' | 'running' | 'stopping';
  /** What the Rollouts view shows: the latest rollouts, live while they run. */
  live: LiveTrajectory[];
  rolloutError?: string;
  /** Computing the top alternatives of the trajectory open in the inspector. */
  alternatives: { status: 'idle' | 'loading'; error?: string };
}

export interface RolloutsActions {
  setRolloutSettings(patch: Partial<RolloutSettings>): void;
  runRollouts(): Promise<void>;
  stopRollouts(): void;
  /** Opens trajectories in the inspector, with `index` selected. */
  inspect(trajectories: readonly PlaygroundTrajectory[], index: number, sourceName: string): void;
  /** Adds the student's and teacher's top alternatives to the trajectory open in the inspector. */
  loadAlternatives(): Promise<void>;
}

export type RolloutsSlice = RolloutsState & RolloutsActions;
