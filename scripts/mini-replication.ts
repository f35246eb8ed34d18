/**
 * A miniature replication on the demo pair: `sodp train` with --method sod, opd and grpo under
 * the same seeds and budget, with the training defaults (defaultTrainingSettings, chosen on a
 * validation split of the training problems: docs/training-defaults.md) and more updates, each
 * run evaluated greedily on the 200 held-out problems, with how each problem ended; writes
 * docs/mini-replication.md (the tables) and docs/mini-replication.svg (the plot). Nothing is
 * tuned on the held-out problems.
 *
 *   npm run experiment:mini [-- --updates 30 --seeds 5 --eval 200 --jobs 2]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { mean, pct, pool, readJsonl, root, sodp, student, teacher, trainPair } from './lib/sodp-runs';
import { defaultTrainingSettings } from '../src/agent/training/settings';
import { outcomes, type Outcome } from '../src/agent/outcome';

const { values: opts } = parseArgs({
  options: {
    updates: { type: 'string', default: '30' },
    seeds: { type: 'string', default: '5' },
    eval: { type: 'string', default: '200' },
    jobs: { type: 'string', default: '2' },
    out: { type: 'string', default: 'runs/mini-replication' },
  },
});
const int = (name: 'updates' | 'seeds' | 'eval' | 'jobs') => {
  const n = Number(opts[name]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${opts[name]}`);
  return n;
};
const methods = ['sod', 'opd', 'grpo'] as const;
type Method = (typeof methods)[number];
const seeds = Array.from({ length: int('seeds') }, (_, i) => i + 1);
const d = defaultTrainingSettings;
const limits = ['--max-turns', String(d.maxTurns), '--max-tokens', String(d.maxTokens), '--backend', 'cpu'];
const outDir = join(root, opts.out);
const started = performance.now();
const log = (line: string) =>
  console.log(`[${((performance.now() - started) / 1000).toFixed(0).padStart(5)} s] ${line}`);

interface EvalResult {
  accuracy: number;
  correct: number;
  n: number;
  outcomes: Record<Outcome, number>;
}
interface RunResult {
  method: Method;
  seed: number;
  after: EvalResult;
  /** Accuracy on the first 50 held-out problems before, every 10 updates, and after. */
  curve: { update: number; accuracy: number }[];
  seconds: number;
  metrics: {
    accuracy: number;
    meanReward: number;
    steps?: { byStep: { step: number; meanDivergence: number; meanWeight: number; count: number }[] };
  }[];
}

const evalArgs = (adapter?: string) => [
  'eval',
  '--model',
  student,
  ...(adapter ? ['--adapter', adapter] : []),
  '--tasks',
  'public/tasks/arithmetic-test.jsonl',
  '--n',
  String(int('eval')),
  ...limits,
];
const parseEval = (stdout: string): EvalResult => JSON.parse(stdout);

mkdirSync(outDir, { recursive: true });
log(`base student on ${int('eval')} held-out problems`);
const before = parseEval(await sodp(evalArgs()));
log(`base student: ${(100 * before.accuracy).toFixed(1)}%`);

// The longest runs (GRPO's, then SOD's) start first, so no core idles at the end.
const runs = await pool(
  (['grpo', 'sod', 'opd'] as const).flatMap((method) =>
    seeds.map((seed) => async (): Promise<RunResult> => {
      const dir = join(outDir, `${method}-seed${seed}`);
      const t0 = performance.now();
      await sodp(
        trainPair(
          'public/tasks/arithmetic-train.jsonl',
          '--method',
          method,
          '--updates',
          opts.updates,
          '--seed',
          String(seed),
          // The learning curve: the first 50 held-out problems every 10 updates (reported, never tuned on).
          '--eval-tasks',
          'public/tasks/arithmetic-test.jsonl',
          '--eval-n',
          '50',
          '--eval-every',
          '10',
          ...limits,
          '--out',
          dir,
        ),
      );
      const seconds = (performance.now() - t0) / 1000;
      const after = parseEval(await sodp(evalArgs(join(dir, 'adapter'))));
      const metrics = readJsonl<RunResult['metrics'][number]>(join(dir, 'metrics.jsonl'));
      const curve = readJsonl<{ after_update: number; accuracy: number }>(join(dir, 'evaluations.jsonl')).map((e) => ({
        update: e.after_update,
        accuracy: e.accuracy,
      }));
      log(
        `${method} seed ${seed}: ${(100 * after.accuracy).toFixed(1)}% after ${opts.updates} updates (${(seconds / 60).toFixed(1)} min)`,
      );
      return { method, seed, after, seconds, metrics, curve };
    }),
  ),
  int('jobs'),
);

// Statistics over seeds: mean and a 95% t-interval.
const tQuantile: Record<number, number> = {
  1: 12.706,
  2: 4.303,
  3: 3.182,
  4: 2.776,
  5: 2.571,
  6: 2.447,
  7: 2.365,
  8: 2.306,
  9: 2.262,
};
function meanCi(xs: number[]): { mean: number; half: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  if (xs.length < 2) return { mean, half: NaN };
  const sd = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1));
  return { mean, half: ((tQuantile[xs.length - 1] ?? 1.96) * sd) / Math.sqrt(xs.length) };
}
const byMethod = (m: Method) => runs.filter((r) => r.method === m);
function stepMeans(m: Method): { step: number; d: number; w: number }[] {
  const acc = new Map<number, { d: number; w: number; n: number }>();
  for (const r of byMethod(m))
    for (const u of r.metrics)
      for (const s of u.steps?.byStep ?? []) {
        const a = acc.get(s.step) ?? { d: 0, w: 0, n: 0 };
        a.d += s.meanDivergence * s.count;
        a.w += s.meanWeight * s.count;
        a.n += s.count;
        acc.set(s.step, a);
      }
  return [...acc].sort((a, b) => a[0] - b[0]).map(([step, a]) => ({ step, d: a.d / a.n, w: a.w / a.n }));
}

const rows = methods.map((m) => {
  const ci = meanCi(byMethod(m).map((r) => r.after.accuracy));
  const time = byMethod(m).reduce((a, r) => a + r.seconds, 0) / byMethod(m).length;
  return `| ${m} | ${pct(before.accuracy)} | ${pct(ci.mean)} ± ${pct(ci.half)} | ${byMethod(m)
    .map((r) => pct(r.after.accuracy))
    .join(', ')} | ${(time / 60).toFixed(1)} min |`;
});
const stepRows = (['sod', 'opd'] as const).flatMap((m) =>
  stepMeans(m)
    .slice(0, 6)
    .map((s) => `| ${m} | ${s.step} | ${s.d.toFixed(3)} | ${s.w.toFixed(3)} |`),
);
// How each held-out problem ended, before and after (mean over seeds): which failures each method fixes.
const outcomeRows = outcomes.map((o) => {
  const after = methods.map((m) => mean(byMethod(m).map((r) => r.after.outcomes[o])));
  return `| ${o} | ${before.outcomes[o]} | ${after.map((x) => x.toFixed(1)).join(' | ')} |`;
});
// The learning curves as a table: mean accuracy on the first 50 held-out problems at each evaluation.
const curveUpdates = [...new Set(runs.flatMap((r) => r.curve.map((p) => p.update)))].sort((x, y) => x - y);
const curveRows = methods.map(
  (m) =>
    `| ${m} | ${curveUpdates
      .map((u) => pct(mean(byMethod(m).flatMap((r) => r.curve.filter((p) => p.update === u).map((p) => p.accuracy)))))
      .join(' | ')} |`,
);
const sodCi = meanCi(byMethod('sod').map((r) => r.after.accuracy));
const opdCi = meanCi(byMethod('opd').map((r) => r.after.accuracy));
const pairedDiffs = seeds.map(
  (seed) =>
    (byMethod('sod').find((r) => r.seed === seed)?.after.accuracy ?? Number.NaN) -
    (byMethod('opd').find((r) => r.seed === seed)?.after.accuracy ?? Number.NaN),
);
const diffCi = meanCi(pairedDiffs);
const verdict =
  Math.abs(diffCi.mean) <= diffCi.half || Number.isNaN(diffCi.half)
    ? `SOD does not beat OPD here: SOD − OPD = ${pct(diffCi.mean)} ± ${pct(diffCi.half)} (paired by seed, 95% CI), an interval that includes 0.`
    : diffCi.mean > 0
      ? `SOD beats OPD here, by ${pct(diffCi.mean)} ± ${pct(diffCi.half)} (paired by seed, 95% CI).`
      : `OPD beats SOD here, by ${pct(-diffCi.mean)} ± ${pct(diffCi.half)} (paired by seed, 95% CI).`;
writeFileSync(
  join(root, 'docs/mini-replication.md'),
  `# Miniature replication on the demo pair

Written by \`npm run experiment:mini\` (scripts/mini-replication.ts); every number below comes from its
last run. Student \`${student}\`, teacher \`${teacher}\`, problems from
\`public/tasks/arithmetic-train.jsonl\`; the training defaults (\`defaultTrainingSettings\`, chosen on a
validation split of the training problems, docs/training-defaults.md): ${d.promptsPerUpdate} prompts × ${d.groupSize} samples per update,
${d.ppoEpochs} PPO epochs in mini-batches of ${d.ppoMiniBatchSize} prompts, learning rate ${d.learningRate}, LoRA rank ${d.loraRank}, temperature ${d.temperature},
at most ${d.maxTurns} turns of ${d.maxTokens} tokens; but ${opts.updates} updates instead of ${d.updates}. Seeds ${seeds.join(', ')}; evaluation greedy
on the first ${int('eval')} problems of \`public/tasks/arithmetic-test.jsonl\` (never trained or tuned on). CPU backend.

**${verdict}** (SOD ${pct(sodCi.mean)} ± ${pct(sodCi.half)}, OPD ${pct(opdCi.mean)} ± ${pct(opdCi.half)}.)

## Held-out accuracy

| method | before | after (mean ± 95% CI over seeds) | per seed | wall time per run |
| --- | --- | --- | --- | --- |
${rows.join('\n')}

![held-out accuracy after training, by method and seed; and the learning curves](mini-replication.svg)

## Learning curves: accuracy on the first 50 held-out problems (mean over seeds)

| method | ${curveUpdates.map((u) => `after ${u}`).join(' | ')} |
| --- | ${curveUpdates.map(() => '---').join(' | ')} |
${curveRows.join('\n')}

## How the held-out problems ended (before; after, mean over seeds)

| outcome | before | ${methods.join(' | ')} |
| --- | --- | ${methods.map(() => '---').join(' | ')} |
${outcomeRows.join('\n')}

## Step divergence d_k and weight w_k by step index (mean over all updates and seeds)

| method | k | mean d_k | mean w_k |
| --- | --- | --- | --- |
${stepRows.join('\n')}

(OPD trains with every w_k = 1, which is what its metrics record; d_k is the same quantity for both.)

Total wall time: ${((performance.now() - started) / 60000).toFixed(1)} min on ${int('jobs')} parallel jobs.
`,
);
writeFileSync(join(root, 'docs/mini-replication.svg'), plot());
log('wrote docs/mini-replication.md and docs/mini-replication.svg');

/** Two panels: held-out accuracy per method (seeds and mean), and batch accuracy per update (mean over seeds). */
function plot(): string {
  const colors: Record<Method, string> = { sod: '#1f77b4', opd: '#ff7f0e', grpo: '#2ca02c' };
  const W = 860;
  const H = 320;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12"><rect width="100%" height="100%" fill="white"/>`,
  ];
  const panel = (x0: number, title: string, xs: [number, number], ys: [number, number], xLabel: string) => {
    const [w, h] = [340, 220];
    const sx = (x: number) => x0 + 50 + ((x - xs[0]) / (xs[1] - xs[0] || 1)) * w;
    const sy = (y: number) => 40 + h - ((y - ys[0]) / (ys[1] - ys[0] || 1)) * h;
    parts.push(
      `<text x="${x0 + 50}" y="24" font-weight="bold">${title}</text>`,
      `<rect x="${x0 + 50}" y="40" width="${w}" height="${h}" fill="none" stroke="#999"/>`,
    );
    for (let i = 0; i <= 4; i++) {
      const y = ys[0] + ((ys[1] - ys[0]) * i) / 4;
      parts.push(
        `<text x="${x0 + 44}" y="${sy(y) + 4}" text-anchor="end">${Math.round(100 * y)}%</text>`,
        `<line x1="${x0 + 50}" x2="${x0 + 50 + w}" y1="${sy(y)}" y2="${sy(y)}" stroke="#eee"/>`,
      );
    }
    parts.push(`<text x="${x0 + 50 + w / 2}" y="${H - 20}" text-anchor="middle">${xLabel}</text>`);
    return { sx, sy };
  };
  const maxAcc = Math.min(
    1,
    Math.max(
      before.accuracy,
      ...runs.map((r) => r.after.accuracy),
      ...runs.flatMap((r) => r.curve.map((p) => p.accuracy)),
    ) + 0.05,
  );
  const a = panel(
    0,
    'Held-out accuracy after training',
    [0, methods.length + 1],
    [0, maxAcc],
    'method (dots: seeds; bar: mean)',
  );
  parts.push(
    `<line x1="${a.sx(0)}" x2="${a.sx(methods.length + 1)}" y1="${a.sy(before.accuracy)}" y2="${a.sy(before.accuracy)}" stroke="#666" stroke-dasharray="4 3"/><text x="${a.sx(methods.length + 1) - 4}" y="${a.sy(before.accuracy) - 4}" text-anchor="end" fill="#666">before</text>`,
  );
  methods.forEach((m, i) => {
    const x = a.sx(i + 1);
    const ci = meanCi(byMethod(m).map((r) => r.after.accuracy));
    parts.push(
      `<line x1="${x - 14}" x2="${x + 14}" y1="${a.sy(ci.mean)}" y2="${a.sy(ci.mean)}" stroke="${colors[m]}" stroke-width="3"/>`,
      `<text x="${x}" y="${40 + 220 + 14}" text-anchor="middle">${m}</text>`,
    );
    for (const r of byMethod(m))
      parts.push(
        `<circle cx="${x + (r.seed - (seeds.length + 1) / 2) * 5}" cy="${a.sy(r.after.accuracy)}" r="3.5" fill="${colors[m]}"/>`,
      );
  });
  const updates = int('updates');
  const b = panel(
    430,
    'Held-out accuracy during training (first 50, mean over seeds)',
    [0, updates],
    [0, maxAcc],
    'update',
  );
  for (const m of methods) {
    const at = [...new Set(byMethod(m).flatMap((r) => r.curve.map((p) => p.update)))].sort((x, y) => x - y);
    const points = at.map((u) => {
      const xs = byMethod(m).flatMap((r) => r.curve.filter((p) => p.update === u).map((p) => p.accuracy));
      return `${b.sx(u).toFixed(1)},${b.sy(mean(xs)).toFixed(1)}`;
    });
    parts.push(`<polyline points="${points.join(' ')}" fill="none" stroke="${colors[m]}" stroke-width="2"/>`);
    for (const point of points) {
      const [x, y] = point.split(',');
      parts.push(`<circle cx="${x}" cy="${y}" r="3" fill="${colors[m]}"/>`);
    }
  }
  methods.forEach((m, i) =>
    parts.push(
      `<rect x="${430 + 60 + i * 70}" y="48" width="10" height="10" fill="${colors[m]}"/><text x="${430 + 74 + i * 70}" y="57">${m}</text>`,
    ),
  );
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
