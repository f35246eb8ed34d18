import type { EvaluationSummary } from '../../agent/evaluate';
import type { UpdateMetrics } from '../../agent/update';
import type { Method } from '../../sod/advantages';

export type RunStatus = 'running' | 'paused' | 'stopped' | 'done' | 'failed';

/** The settings a training run was started with (what the Training form asks for). */
export interface TrainingSettings {
  method: Method;
  updates: number;
  learningRate: number;
  loraRank: number;
  promptsPerUpdate: number;
  groupSize: number;
  /** New tokens per assistant turn. */
  maxTokens: number;
  maxTurns: number;
  temperature: number;
  epsilon: number;
  delta: number;
  coef: number;
  /** Held-out problems evaluated greedily before the first and after the last update (0 = none). */
  evalProblems: number;
  seed: number;
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
  error?: string;
}
