import { describe, expect, it } from 'vitest';
import { parseLines, runSodp } from '../support/run-sodp';

const rows = [
  {
    task_id: 'a',
    group: 'a',
    reward: 1,
    mask: [1, 1, 0, 1],
    student_logprobs: [-1, -1, -4, -1],
    teacher_logprobs: [-1.5, -0.5, -9, -3],
  },
  {
    task_id: 'a',
    group: 'a',
    reward: -0.8,
    mask: [1, 0, 1],
    student_logprobs: [-0.2, -3, -0.4],
    teacher_logprobs: [-0.2, -1, -0.1],
  },
  { task_id: 'b', group: 'b', reward: -1, mask: [0, 1], student_logprobs: [-1, -1], teacher_logprobs: [-1, -1.5] },
];
const input = rows.map((r) => JSON.stringify(r)).join('\n');

function numbers(v: unknown): number[] {
  if (!Array.isArray(v)) throw new Error('expected an array');
  return v.map((x: unknown) => (typeof x === 'number' ? x : NaN));
}

function expectClose(actual: number[], expected: number[]): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((v, i) =>
    expect(Math.abs(v - expected[i])).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected[i]))),
  );
}

describe('sodp advantages', () => {
  // Group a: rewards 1 and −0.8 → mean 0.1, unbiased std = 0.9·√2.
  const std = 0.9 * Math.SQRT2;
  const ga = [0.9 / (std + 1e-6), -0.9 / (std + 1e-6)];
  const gb = -1 / (1 + 1e-6);

  it('computes group advantages and sod per-token advantages', async () => {
    const run = await runSodp(['advantages'], input);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const out = parseLines(run.stdout);
    expectClose([out[0].grpo_advantage, out[1].grpo_advantage, out[2].grpo_advantage].map(Number), [ga[0], ga[1], gb]);
    // Row 0: steps d = [0.5, 2], w = [1, (0.5+ε)/(2+ε)].
    const w2 = (0.5 + 1e-6) / (2 + 1e-6);
    expectClose(numbers(out[0].advantages), [ga[0] - 0.5, ga[0] + 0.5, 0, ga[0] - 2 * w2]);
    // Row 2: one step of one token, w = 1.
    expectClose(numbers(out[2].advantages), [0, gb - 0.5]);
  });

  it('has no distillation term for grpo and no outcome term for distill', async () => {
    const grpo = parseLines((await runSodp(['advantages', '--method', 'grpo'], input)).stdout);
    expectClose(numbers(grpo[1].advantages), [ga[1], 0, ga[1]]);
    const distill = parseLines((await runSodp(['advantages', '--method', 'distill', '--coef', '0.5'], input)).stdout);
    expect(distill[0].grpo_advantage).toBeUndefined();
    expectClose(numbers(distill[0].advantages), [-0.25, 0.25, 0, -1 * ((0.5 + 1e-6) / (2 + 1e-6))]);
    const opd = parseLines((await runSodp(['advantages', '--method', 'opd'], input)).stdout);
    expectClose(numbers(opd[0].advantages), [ga[0] - 0.5, ga[0] + 0.5, 0, ga[0] - 2]);
  });

  it('leaves a bad line out of its group, reports it and exits 1', async () => {
    const bad = JSON.stringify({ ...rows[1], reward: 'high' });
    const run = await runSodp(['advantages'], [JSON.stringify(rows[0]), bad, JSON.stringify(rows[2])].join('\n'));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('line 2: reward must be a finite number, got "high"');
    const out = parseLines(run.stdout);
    expect(out.map((o) => o.task_id)).toEqual(['a', 'b']);
    // Row 0 is now alone in group a.
    expectClose([Number(out[0].grpo_advantage)], [1 / (1 + 1e-6)]);
    const missing = await runSodp(['advantages', '--method', 'grpo'], JSON.stringify({ mask: [1], reward: 1 }));
    expect(missing.stderr).toContain('line 1: group is missing');
  });

  it('refuses an unknown method with the list of methods', async () => {
    const run = await runSodp(['advantages', '--method', 'ppo']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--method must be one of sod, opd, grpo, distill; got 'ppo'");
  });
});
