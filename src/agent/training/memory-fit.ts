/**
 * When a run's memory plan does not fit: which part is too big, and the largest settings that
 * fit, found by shrinking what costs memory in turn (turn length, sequences per optimizer step,
 * group size, LoRA rank) and planning again each time.
 */
import type { WeightStorage } from '../../engine/backend';
import type { Qwen3Config } from '../../engine/config';
import { planMemory, type MemoryPlan } from '../../engine/memory-plan';
import type { LoraConfig } from '../../engine/lora';
import { workloadOf, type TrainingSettings } from './settings';

export interface MemoryFit {
  plan: MemoryPlan;
  /** The settings planned last: the given ones when they fit, else the largest smaller ones found. */
  settings: TrainingSettings;
  fits: boolean;
  /** What was changed, in words ("turns of 128 tokens instead of 256"). */
  changes: string[];
  /** Why it cannot fit at all, when even the smallest settings do not. */
  why?: string;
}

/** The steps tried, each smaller than the last, and how to say what it changed. */
const shrinks: [(s: TrainingSettings) => TrainingSettings | undefined, (s: TrainingSettings) => string][] = [
  [
    (s) => (s.maxTokens > 128 ? { ...s, maxTokens: Math.max(128, s.maxTokens / 2) } : undefined),
    (s) => `turns of ${s.maxTokens} tokens`,
  ],
  [(s) => (s.ppoMiniBatchSize > 1 ? { ...s, ppoMiniBatchSize: 1 } : undefined), () => 'mini-batches of one prompt'],
  [
    (s) => (s.groupSize > 2 ? { ...s, groupSize: Math.max(2, s.groupSize / 2) } : undefined),
    (s) => `groups of ${s.groupSize} samples`,
  ],
  [
    (s) => (s.loraRank > 4 ? { ...s, loraRank: Math.max(4, s.loraRank / 2) } : undefined),
    (s) => `LoRA rank ${s.loraRank}`,
  ],
  [(s) => (s.maxTurns > 2 ? { ...s, maxTurns: s.maxTurns - 1 } : undefined), (s) => `${s.maxTurns} turns`],
];

/** Plans `settings` for a student of `config` (matrices stored as `weights`) against `budgetBytes`, shrinking them until they fit. */
export async function fitMemory(
  config: Qwen3Config,
  settings: TrainingSettings,
  lora: Omit<LoraConfig, 'rank' | 'alpha'>,
  promptTokens: number,
  budgetBytes: number,
  weights: WeightStorage = { format: 'f32' },
): Promise<MemoryFit> {
  const plan = (s: TrainingSettings) =>
    planMemory(config, workloadOf(s, promptTokens), { ...lora, rank: s.loraRank, alpha: 2 * s.loraRank }, weights);
  let current = settings;
  let planned = await plan(current);
  // One line per kind of change, with the value it reached.
  const changed = new Map<number, string>();
  for (const [i, [shrink, say]] of shrinks.entries()) {
    while (planned.totalBytes > budgetBytes) {
      const next = shrink(current);
      if (next === undefined) break;
      current = next;
      planned = await plan(current);
      changed.set(i, say(current));
    }
  }
  const changes = [...changed.values()];
  const fits = planned.totalBytes <= budgetBytes;
  const weightBytes = planned.parts.find((p) => p.part === 'weights')?.bytes ?? 0;
  const largest = planned.parts[0];
  const why = fits
    ? undefined
    : weightBytes > budgetBytes
      ? 'the weights alone are larger than the budget: use a smaller model, or the CPU backend'
      : `${largest.part} still take the most; use a smaller model, or the CPU backend`;
  return { plan: planned, settings: current, fits, changes, ...(why !== undefined ? { why } : {}) };
}
