/**
 * The speed goals of the WebGPU work in one table, from one run of the benchmarks that measure
 * them (peer, lora-step, sod-update, matmul): each figure, its goal, and whether it is met or
 * how far it is. On a 2-core machine with SwiftShader, transformers.js decodes at about 0.04
 * tokens/s, so the peer's full sizes take over an hour: smaller ones are set by its variables.
 *
 *   PEER_PROMPT=128 PEER_NEW=16 PEER_SCORE=256 npm run bench -- goals
 *   GOALS_FROM_REPORTS=1 npm run bench -- goals    (the table from the last runs of the four)
 */
import { existsSync, readFileSync } from 'node:fs';
import { benchLoraStep } from './lora-step';
import { benchPeer } from './peer';
import { newReport, writeReport, type BenchReport } from './report';
import { benchSodUpdate } from './sod-update';
import { benchMatmul } from './webgpu-matmul';

interface Goal {
  figure: string;
  /** 'min': the figure must reach the goal; 'max': stay at or under it. */
  kind: 'min' | 'max';
  goal: number;
  unit: '×' | '%';
  value: (reports: Record<string, BenchReport>) => number | undefined;
}

/** GOALS_FROM_REPORTS=1: the table from the last reports under bench/results/, running nothing. */
const fromReports = process.env.GOALS_FROM_REPORTS === '1';

const find = (report: BenchReport | undefined, name: string) => report?.results.find((r) => r.name === name)?.value;

/** The prefill and training matmuls at Qwen3-0.6B shapes with the kernel the engine picks, as % of the measured peak: the lowest. */
function matmulShareOfPeak(report: BenchReport | undefined): number | undefined {
  const peak = find(report, 'webgpu f32 peak (FMA probe)');
  const rates = (report?.results ?? [])
    .filter((r) => /^matmul Qwen3-0\.6B .* webgpu default$/.test(r.name) && !r.name.includes('decode'))
    .map((r) => r.value);
  return peak === undefined || rates.length === 0 ? undefined : (100 * Math.min(...rates)) / peak;
}

/** An SOD update's total time, the way named, over the old update's (no shared prompt, TypeScript kernels). */
function sodUpdateRatio(report: BenchReport | undefined, name: string): number | undefined {
  const [now, old] = [find(report, name), find(report, 'total, old: without the shared prompt, TypeScript kernels')];
  return now === undefined || old === undefined ? undefined : now / old;
}

const goals: Goal[] = [
  {
    figure: 'decode tok/s, ours ÷ transformers.js WebGPU',
    kind: 'min',
    goal: 1,
    unit: '×',
    value: (r) => find(r.peer, 'decode ours-webgpu / transformers.js-webgpu'),
  },
  {
    figure: 'decode tok/s, ours WebGPU ÷ ours CPU',
    kind: 'min',
    goal: 1,
    unit: '×',
    value: (r) => find(r.peer, 'decode ours-webgpu / ours-cpu'),
  },
  {
    figure: 'scoring tok/s, ours ÷ transformers.js WebGPU',
    kind: 'min',
    goal: 1,
    unit: '×',
    value: (r) => find(r.peer, 'scoring ours-webgpu / transformers.js-webgpu'),
  },
  {
    figure: 'LoRA step on 512 tokens, WebGPU ÷ CPU time',
    kind: 'max',
    goal: 1,
    unit: '×',
    value: (r) => {
      const [gpu, cpu] = [find(r['lora-step'], 'lora step 512 webgpu'), find(r['lora-step'], 'lora step 512 cpu')];
      return gpu === undefined || cpu === undefined ? undefined : gpu / cpu;
    },
  },
  {
    figure: 'one SOD update of the demo pair (8 × 4), new ÷ old time, CPU',
    kind: 'max',
    goal: 0.5,
    unit: '×',
    value: (r) => sodUpdateRatio(r['sod-update'], 'total, with the shared prompt'),
  },
  {
    // The same update as the playground runs it: student and teacher in worker threads of their own.
    figure: 'the same, student and teacher in their own worker threads, ÷ old',
    kind: 'max',
    goal: 0.5,
    unit: '×',
    value: (r) => sodUpdateRatio(r['sod-update'], "total, with the shared prompt, in the playground's worker threads"),
  },
  {
    figure: 'prefill/training matmul, lowest % of the f32 peak',
    kind: 'min',
    goal: 40,
    unit: '%',
    value: (r) => matmulShareOfPeak(r.matmul),
  },
];

export async function benchGoals(report: BenchReport): Promise<void> {
  const parts: Record<string, (report: BenchReport) => Promise<void>> = {
    matmul: benchMatmul,
    'lora-step': benchLoraStep,
    'sod-update': benchSodUpdate,
    peer: benchPeer,
  };
  const reports: Record<string, BenchReport> = {};
  for (const [name, run] of Object.entries(parts)) {
    if (fromReports) {
      // Each figure is a ratio within one benchmark's run, so the table may gather the last runs.
      const path = `bench/results/${name}.json`;
      if (existsSync(path)) reports[name] = JSON.parse(readFileSync(path, 'utf8')) as BenchReport;
      console.log(`${name}: ${existsSync(path) ? `${path} of ${reports[name].date}` : 'no report'}`);
      continue;
    }
    console.log(`\n-- ${name} --`);
    reports[name] = newReport();
    try {
      await run(reports[name]);
      writeReport(reports[name], name);
    } catch (err) {
      console.log(`${name} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  report.adapter = reports.matmul?.adapter ?? reports['lora-step']?.adapter ?? 'none';
  const show = (v: number, unit: string) => (unit === '%' ? `${v.toFixed(1)}%` : `${v.toFixed(2)}×`);
  console.log(`\n| figure | goal | measured | verdict |\n| --- | --- | --- | --- |`);
  for (const g of goals) {
    const value = g.value(reports);
    const goal = `${g.kind === 'min' ? '≥' : '≤'} ${show(g.goal, g.unit)}`;
    if (value === undefined) {
      console.log(`| ${g.figure} | ${goal} | not measured | — |`);
      continue;
    }
    const met = g.kind === 'min' ? value >= g.goal : value <= g.goal;
    // How far: the factor the figure must still gain (or shed).
    const factor = g.kind === 'min' ? g.goal / value : value / g.goal;
    console.log(`| ${g.figure} | ${goal} | ${show(value, g.unit)} | ${met ? 'met' : `${factor.toFixed(2)}× to go`} |`);
    report.results.push({
      name: g.figure,
      value,
      unit: g.unit === '%' ? '%' : 'ratio',
      goal: g.goal,
      kind: g.kind,
      met,
    });
  }
}
