import { mkdirSync, writeFileSync } from 'node:fs';
import { arch, cpus, platform } from 'node:os';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  [detail: string]: unknown;
}

/** One benchmark run: the machine, the adapter and every figure, written as JSON. */
export interface BenchReport {
  date: string;
  machine: string;
  adapter: string;
  results: BenchResult[];
}

export function newReport(): BenchReport {
  return {
    date: new Date().toISOString(),
    machine: `${platform()} ${arch()}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`,
    adapter: 'none',
    results: [],
  };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Seconds per run for `runs` runs after one warm-up run. */
export async function timeRuns(runs: number, run: () => Promise<void>): Promise<number[]> {
  await run();
  const seconds: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await run();
    seconds.push((performance.now() - start) / 1000);
  }
  return seconds;
}

export function writeReport(report: BenchReport, name: string): string {
  mkdirSync('bench/results', { recursive: true });
  const path = `bench/results/${name}.json`;
  writeFileSync(path, JSON.stringify(report, null, 2) + '\n');
  return path;
}
