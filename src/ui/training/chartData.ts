import type { UpdateMetrics } from '../../agent/update';
import type { TrainingRun } from '../../store/training/types';

export type ChartKey =
  | 'loss'
  | 'reward'
  | 'accuracy'
  | 'heldOut'
  | 'divergence'
  | 'weight'
  | 'kl'
  | 'clip'
  | 'throughput'
  | 'weightByStep';

export interface ChartSpec {
  key: ChartKey;
  /** The quantity, as the caption names it. */
  title: string;
  /** Its unit (or what the number means when it has none). */
  unit: string;
  /** What the x axis counts. */
  x: 'update' | 'step';
  /** A fixed y range (percentages read best on 0–100); otherwise the axis fits the data. */
  y?: [number, number];
}

/** The charts in display order: per-update quantities (the held-out curve next to accuracy), then w_k against step index. */
export const chartSpecs: readonly ChartSpec[] = [
  { key: 'loss', title: 'Loss', unit: 'PPO policy loss, token mean', x: 'update' },
  { key: 'reward', title: 'Mean reward', unit: 'outcome reward, −1 to +1', x: 'update' },
  { key: 'accuracy', title: 'Accuracy', unit: '% of rollouts correct', x: 'update', y: [0, 100] },
  {
    key: 'heldOut',
    title: 'Held-out accuracy',
    unit: '% of held-out problems correct, greedy',
    x: 'update',
    y: [0, 100],
  },
  { key: 'divergence', title: 'Mean d_k', unit: 'nats/token', x: 'update' },
  { key: 'weight', title: 'Mean w_k', unit: 'step weight, 1 = plain OPD', x: 'update' },
  { key: 'kl', title: 'Approximate KL to the old policy', unit: 'nats', x: 'update' },
  { key: 'clip', title: 'Clip fraction', unit: '% of tokens', x: 'update' },
  { key: 'throughput', title: 'Rollout throughput', unit: 'tokens/s', x: 'update' },
  { key: 'weightByStep', title: 'w_k by step index', unit: 'latest update, mean over the batch', x: 'step' },
];

/** The value one update contributes to a per-update chart; undefined draws no point (grpo has no d_k, w_k). */
const perUpdate: Record<Exclude<ChartKey, 'weightByStep' | 'heldOut'>, (m: UpdateMetrics) => number | undefined> = {
  loss: (m) => m.loss,
  reward: (m) => m.meanReward,
  accuracy: (m) => m.accuracy * 100,
  divergence: (m) => m.steps?.meanDivergence,
  weight: (m) => m.steps?.meanWeight,
  kl: (m) => m.approxKl,
  clip: (m) => m.clipFraction * 100,
  throughput: (m) => m.tokensPerSecond,
};

/** One row per x value; run i's value sits under `seriesKey(i)` (absent = no point). */
export type ChartRow = { x: number } & Partial<Record<string, number>>;

export interface ChartData {
  rows: ChartRow[];
  /** Points plotted over all runs (non-finite values are not plotted). */
  points: number;
}

export const seriesKey = (runIndex: number): string => `run${runIndex}`;

/** The (x, y) pairs run `run` contributes to chart `key`. */
function runPoints(key: ChartKey, run: TrainingRun): [number, number][] {
  if (key === 'weightByStep') {
    const latest = run.metrics.at(-1)?.steps;
    return latest === undefined ? [] : latest.byStep.map((s) => [s.step, s.meanWeight]);
  }
  // The held-out evaluations, not the updates' metrics: update 0 is the evaluation before training.
  if (key === 'heldOut') return run.curve.map((p) => [p.update, p.accuracy * 100]);
  const value = perUpdate[key];
  return run.metrics.flatMap((m): [number, number][] => {
    const y = value(m);
    return y === undefined ? [] : [[m.update, y]];
  });
}

/** Merges every run's points for one chart into recharts rows keyed by x, sorted by x. */
export function chartData(key: ChartKey, runs: readonly TrainingRun[]): ChartData {
  const byX = new Map<number, ChartRow>();
  let points = 0;
  runs.forEach((run, i) => {
    for (const [x, y] of runPoints(key, run)) {
      if (!Number.isFinite(y)) continue;
      let row = byX.get(x);
      if (row === undefined) byX.set(x, (row = { x }));
      row[seriesKey(i)] = y;
      points++;
    }
  });
  return { rows: [...byX.values()].sort((a, b) => a.x - b.x), points };
}

/** The distinct step-weight caps 1 + δ of the runs that weight steps, for reference lines. */
export function weightCaps(runs: readonly TrainingRun[]): number[] {
  const caps = runs
    .filter((r) => r.metrics.some((m) => m.steps !== undefined) && r.settings.method === 'sod')
    .map((r) => 1 + r.settings.delta);
  return [...new Set(caps)].sort((a, b) => a - b);
}
