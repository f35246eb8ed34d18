import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseLines, runSodp } from '../support/run-sodp';

/** A tool error in the middle: step 2 drifts (|s − τ| large), step 3 recovers. */
const drift = {
  task_id: 'demo-1',
  group: 'demo-1',
  reward: 1,
  mask: [1, 1, 0, 0, 1, 1, 0, 1],
  student_logprobs: [-0.1, -0.3, -2, -2, -0.5, -0.7, -3, -0.2],
  teacher_logprobs: [-0.2, -0.4, -9, -9, -2.5, -2.7, -9, -0.25],
};
const single = {
  mask: [1, 1, 1],
  student_logprobs: [-1, -1, -1],
  teacher_logprobs: [-1.5, -0.5, -1],
  reward: -1,
  group: 'demo-1',
};

function close(actual: unknown, expected: number[]): void {
  expect(Array.isArray(actual)).toBe(true);
  const values = actual as number[];
  expect(values).toHaveLength(expected.length);
  values.forEach((v, i) => {
    const scale = Math.max(1e-300, Math.abs(expected[i]));
    expect(Math.abs(v - expected[i]) / scale, `element ${i}: ${v} vs ${expected[i]}`).toBeLessThanOrEqual(1e-9);
  });
}

describe('sodp weights', () => {
  it('adds the step weighting to each line and passes other fields through', async () => {
    const run = await runSodp(['weights'], [drift, single].map((l) => JSON.stringify(l)).join('\n') + '\n');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const [first, second] = parseLines(run.stdout);
    expect(first.task_id).toBe('demo-1');
    expect(first.n_steps).toBe(3);
    expect(first.boundaries).toEqual([
      [0, 2],
      [4, 6],
      [7, 8],
    ]);
    expect(first.n_tokens_per_step).toEqual([2, 2, 1]);
    const eps = 1e-6;
    const d = [0.1, 2, 0.05];
    close(first.d_values, d);
    const w2 = (d[0] + eps) / (d[1] + eps);
    const w3 = Math.min((d[0] + eps) / (d[2] + eps), 1.2);
    close(first.w_values, [1, w2, w3]);
    close(first.token_weights, [1, 1, 0, 0, w2, w2, 0, w3]);
    close(first.opd_advantages, [-0.1, -0.1, 0, 0, -2 * w2, -2 * w2, 0, -0.05 * w3]);
    expect(second.n_steps).toBe(1);
    close(second.w_values, [1]);
  });

  it('honours --epsilon, --delta, --coef, --method and --input', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sodp-'));
    const file = join(dir, 'in.jsonl');
    writeFileSync(file, JSON.stringify(drift) + '\n');
    const run = await runSodp(['weights', '--input', file, '--epsilon', '0.05', '--delta', '0', '--coef', '2']);
    expect(run.code).toBe(0);
    const [line] = parseLines(run.stdout);
    close(line.w_values, [1, 0.15 / 2.05, 1]);
    const opd = parseLines(
      (await runSodp(['weights', '--method', 'opd', '--coef', '2'], JSON.stringify(drift))).stdout,
    )[0];
    close(opd.w_values, [1, 1, 1]);
    close(opd.opd_advantages, [-0.2, -0.2, 0, 0, -4, -4, 0, -0.1]);
  });

  it('reports a bad line by number, still writes every good line in order, and exits 1', async () => {
    const lines = [
      JSON.stringify(single),
      '{"mask": [1, 1], "student_logprobs": [-1, NaN], "teacher_logprobs": [-1, -1]}',
      'not json',
      JSON.stringify({ ...single, mask: [1, 2, 1] }),
      JSON.stringify({ ...single, teacher_logprobs: [-1] }),
      JSON.stringify(drift),
    ];
    const run = await runSodp(['weights'], lines.join('\n'));
    expect(run.code).toBe(1);
    const out = parseLines(run.stdout);
    expect(out).toHaveLength(2);
    expect(out[0].n_steps).toBe(1);
    expect(out[1].task_id).toBe('demo-1');
    expect(run.stderr).toContain('line 2: student_logprobs[1] is NaN');
    expect(run.stderr).toContain('line 3: not valid JSON');
    expect(run.stderr).toContain('line 4: mask[1] must be 0 or 1, got 2');
    expect(run.stderr).toContain('line 5: teacher_logprobs has length 1 but mask has length 3');
  });

  it('gives zero steps for an all-zero mask without an error', async () => {
    const run = await runSodp(
      ['weights'],
      JSON.stringify({ mask: [0, 0], student_logprobs: [-1, -1], teacher_logprobs: [-2, -2] }),
    );
    expect(run.code).toBe(0);
    expect(parseLines(run.stdout)[0]).toMatchObject({ n_steps: 0, d_values: [], w_values: [], token_weights: [0, 0] });
  });

  it('refuses bad settings and unknown options with a usage error', async () => {
    const eps = await runSodp(['weights', '--epsilon', '0'], JSON.stringify(single));
    expect(eps.code).toBe(1);
    expect(eps.stderr).toContain('epsilon must be > 0, got 0');
    const delta = await runSodp(['weights', '--delta=-1'], JSON.stringify(single));
    expect(delta.stderr).toContain('delta must be ≥ 0, got -1');
    const unknown = await runSodp(['weights', '--bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown option '--bogus'");
    const badNumber = await runSodp(['weights', '--delta', 'abc']);
    expect(badNumber.code).toBe(2);
    expect(badNumber.stderr).toContain("--delta must be a finite number, got 'abc'");
  });

  it('prints help', async () => {
    const run = await runSodp(['weights', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: sodp weights');
    const top = await runSodp(['--help']);
    expect(top.stdout).toMatch(/weights\s+add SOD step/);
    const unknown = await runSodp(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
  });
});
