import { SodInputError, checkFinite } from './validate';

/** Trajectories sampled for the same prompt share a group key. */
export type GroupKey = string | number;

export const grpoEpsilon = 1e-6;

/**
 * GRPO outcome advantages: A = (r − mean)/(std + 1e-6) within each group, with the unbiased
 * (n − 1) standard deviation. A group of one has mean 0 and std 1, so its A is r/(1 + 1e-6).
 */
export function grpoAdvantages(rewards: readonly number[], groups: readonly GroupKey[]): number[] {
  if (rewards.length !== groups.length) {
    throw new SodInputError('group', undefined, `has ${groups.length} entries but reward has ${rewards.length}`);
  }
  checkFinite('reward', rewards);
  const members = new Map<GroupKey, number[]>();
  groups.forEach((g, i) => {
    if (typeof g !== 'string' && !(typeof g === 'number' && Number.isFinite(g))) {
      throw new SodInputError('group', i, `must be a string or a finite number, got ${JSON.stringify(g)}`);
    }
    const list = members.get(g);
    if (list) list.push(i);
    else members.set(g, [i]);
  });
  const out = new Array<number>(rewards.length);
  for (const indices of members.values()) {
    const { mean, std } = groupStatistics(indices.map((i) => rewards[i]));
    for (const i of indices) out[i] = (rewards[i] - mean) / (std + grpoEpsilon);
  }
  return out;
}

/** Mean and unbiased standard deviation of one group's rewards (0 and 1 for a group of one). */
export function groupStatistics(rewards: readonly number[]): { mean: number; std: number } {
  const n = rewards.length;
  if (n <= 1) return { mean: 0, std: 1 };
  const mean = rewards.reduce((a, b) => a + b, 0) / n;
  const variance = rewards.reduce((a, r) => a + (r - mean) * (r - mean), 0) / (n - 1);
  return { mean, std: Math.sqrt(variance) };
}
