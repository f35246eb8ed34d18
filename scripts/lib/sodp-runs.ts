/** What the experiment scripts share: the demo pair, the real `sodp` in a child process, a pool of such jobs, small statistics. */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));

export const student = 'public/models/tiny-qwen3-student';
export const teacher = 'public/models/tiny-qwen3-teacher';

/** `sodp train` arguments for the demo pair on `tasks`, then `rest` (the run's own options). */
export const trainPair = (tasks: string, ...rest: string[]): string[] => [
  'train',
  '--student',
  student,
  '--teacher',
  teacher,
  '--tasks',
  tasks,
  ...rest,
];

/** The objects of a JSONL file written by `sodp` (metrics.jsonl, evaluations.jsonl, …), as the caller expects them. */
export function readJsonl<T = Record<string, unknown>>(path: string): T[] {
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));
}

export const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);
export const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** Runs `sodp` in a child process; resolves with its stdout, rejects with its stderr's tail. */
export function sodp(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'bin/sodp.mjs'), ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`sodp ${args[0]} exited with ${code}: ${stderr.slice(-2000)}`)),
    );
  });
}

/** Runs jobs with at most `n` at a time (one per core). */
export async function pool<T>(jobs: (() => Promise<T>)[], n: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, jobs.length) }, async () => {
      while (next < jobs.length) {
        const i = next++;
        results[i] = await jobs[i]();
      }
    }),
  );
  return results;
}
