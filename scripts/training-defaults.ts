/**
 * How the training defaults were chosen, and whether they deliver.
 *
 *   npm run search:defaults                      # the search: writes docs/training-defaults.md
 *   npm run search:defaults -- --measure         # the 5-seed check on the held-out set (appends to runs/)
 *
 * The search looks only at training signals: batch reward and accuracy, the PPO KL estimate,
 * and greedy accuracy on a validation split cut from the *training* problems (the last 100
 * of public/tasks/arithmetic-train.jsonl; the runs train on the first 900). It never reads
 * public/tasks/arithmetic-test.jsonl. `--measure` then runs `sodp train` with the chosen
 * defaults (nothing but --seed, the data and the output folder given) and `sodp eval` on the
 * 200 held-out problems, --jobs seeds at a time (--jobs 1: each alone), and reports
 * before/after and the wall time.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { mean, pct, pool, readJsonl, root, sodp, student, trainPair } from './lib/sodp-runs';
import { defaultTrainingSettings, type TrainingSettings } from '../src/agent/training/settings';

const num = (v: unknown): number => (typeof v === 'number' ? v : Number.NaN);

const { values: opts } = parseArgs({
  options: {
    measure: { type: 'boolean', default: false },
    seeds: { type: 'string', default: '5' },
    jobs: { type: 'string', default: '2' },
    only: { type: 'string' },
    out: { type: 'string', default: 'runs/training-defaults' },
  },
});
const outDir = join(root, opts.out);
const started = performance.now();
const log = (line: string) =>
  console.log(`[${((performance.now() - started) / 1000).toFixed(0).padStart(5)} s] ${line}`);

/** The settings every candidate starts from: one PPO epoch of two mini-batches on 4 prompts × 4 samples, rank 8, 20 updates. */
const base: Partial<TrainingSettings> = {
  learningRate: 3e-4,
  temperature: 0.7,
  promptsPerUpdate: 4,
  groupSize: 4,
  ppoEpochs: 1,
  ppoMiniBatchSize: 2,
  loraRank: 8,
  updates: 20,
};

/** The settings tried, in the order they were tried; each changes a few settings of `base`. */
const candidates: { name: string; why: string; settings: Partial<TrainingSettings> }[] = [
  {
    name: 'M: lr 3e-4',
    why: 'the defaults the first search ended on (one PPO epoch of two mini-batches, T 0.7, 4×4, rank 8, 20 updates): the baseline on the current pair',
    settings: { ...base },
  },
  {
    name: 'N: lr 1e-3',
    why: 'a larger step; it fell in the first search, but that search ran with the KV-cache bug',
    settings: { ...base, learningRate: 1e-3 },
  },
  {
    name: 'O: lr 2e-3',
    why: 'larger still, to find where training stops being stable',
    settings: { ...base, learningRate: 2e-3 },
  },
  {
    name: 'P: lr 1e-3, T 1',
    why: 'N sampling at temperature 1: more of the slips and wrong results the teacher corrects',
    settings: { ...base, learningRate: 1e-3, temperature: 1 },
  },
  {
    name: 'Q: lr 1e-3, mini-batches of 1',
    why: 'M and N both gained 14–15 points; the training pass costs the same per token however the batch is cut, so four optimizer steps per update (mini-batches of one prompt) cost no more time than two',
    settings: { ...base, learningRate: 1e-3, ppoMiniBatchSize: 1 },
  },
  {
    name: 'R: lr 3e-4, mini-batches of 1',
    why: 'the same for M',
    settings: { ...base, ppoMiniBatchSize: 1 },
  },
  {
    name: 'M1: M, seed 1',
    why: 'one seed per candidate misled the first search: M and N again with another seed',
    settings: { ...base, seed: 1 },
  },
  {
    name: 'N1: N, seed 1',
    why: 'N, seed 1',
    settings: { ...base, learningRate: 1e-3, seed: 1 },
  },
  {
    name: 'S: R, rank 32',
    why: 'R gained 10 points on the held-out check, short of 15; after training, most of the failures are digits miscopied into the code or the answer, which the LoRA may lack the capacity to fix: four times the rank',
    settings: { ...base, ppoMiniBatchSize: 1, loraRank: 32 },
  },
  {
    name: 'U: Q, rank 32',
    why: 'S with the larger step of Q (lr 1e-3)',
    settings: { ...base, ppoMiniBatchSize: 1, loraRank: 32, learningRate: 1e-3 },
  },
  {
    name: 'R3: R on the rebuilt pair',
    why: 'the choice again, on the demo pair rebuilt so that its failures are habits rather than miscopied digits (src/models/demo/README.md); every row above ran on the pair before',
    settings: { ...base, ppoMiniBatchSize: 1 },
  },
];

/** The command-line flags that give `sodp train` these settings (only those that differ from the defaults). */
function flags(s: Partial<TrainingSettings>): string[] {
  const names: [keyof TrainingSettings, string][] = [
    ['method', 'method'],
    ['updates', 'updates'],
    ['learningRate', 'lr'],
    ['loraRank', 'rank'],
    ['promptsPerUpdate', 'prompts'],
    ['groupSize', 'group'],
    ['ppoEpochs', 'ppo-epochs'],
    ['ppoMiniBatchSize', 'ppo-mini-batch'],
    ['maxTokens', 'max-tokens'],
    ['maxTurns', 'max-turns'],
    ['temperature', 'temperature'],
    ['seed', 'seed'],
  ];
  const unknown = Object.keys(s).filter((key) => !names.some(([name]) => name === key));
  if (unknown.length > 0) throw new Error(`no sodp train flag for ${unknown.join(', ')}`);
  return names.flatMap(([key, flag]) => (s[key] === undefined ? [] : [`--${flag}`, String(s[key])]));
}

/** A candidate's short label: what its name has before the colon ("K1"). */
const label = (name: string) => name.split(':')[0];

interface CandidateResult {
  name: string;
  why: string;
  settings: Partial<TrainingSettings>;
  seconds: number;
  before: number;
  after: number;
  metrics: Record<string, unknown>[];
}
interface MeasureRow {
  seed: number;
  before: number;
  after: number;
  n: number;
  seconds: number;
  /** How many runs shared the machine (1: alone, so `seconds` is the run's own time). */
  jobs: number;
}

/** The candidate whose settings became defaultTrainingSettings, and why. */
const choice = {
  name: 'R',
  why: [
    'lr 3e-4, one PPO epoch of four mini-batches of one prompt per update, temperature 0.7, 4 prompts × 4 samples,',
    'LoRA rank 8, 20 updates. Every candidate up to lr 1e-3 gained 12 to 17 points on validation, and the',
    'differences between them (one to three problems of 100) are within what a second seed changes (M: +15 and',
    '+12; N: +14 and +12). Among those, R had the best single run (+17); it keeps M’s learning rate, which held',
    'up in both of M’s seeds, and only cuts each batch into more optimizer steps, which costs no extra time',
    'because the training pass costs the same per token however the batch is cut. lr 2e-3 (O) is where training',
    'stops helping (+3). After the held-out check fell short (+10 points), two more tried a LoRA four times',
    'larger: rank 32 at R’s rate (S) did no better than R (+14), and at lr 1e-3 (U) training fell (−10), so R stayed.',
    'On the rebuilt demo pair R, run again as R3, took validation from 27% to 63%: it stays the default.',
  ].join(' '),
};

/** The held-out check as a table, with its summary and verdict. */
function measureTable(measured: MeasureRow[]): string {
  const change = (m: MeasureRow) => (100 * (m.after - m.before)) / m.n;
  const rows = measured.map(
    (m) =>
      `| ${m.seed} | ${m.before}/${m.n} (${pct(m.before / m.n)}) | ${m.after}/${m.n} (${pct(m.after / m.n)}) | ${change(m) >= 0 ? '+' : ''}${change(m).toFixed(1)} points | ${(m.seconds / 60).toFixed(2)} min${m.jobs === 1 ? ' (alone)' : ` (${m.jobs} runs at a time)`} |`,
  );
  return [
    '| seed | before | after | change | train + eval |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
    `Mean change: ${mean(measured.map(change)).toFixed(1)} points; lowest seed: ${Math.min(...measured.map(change)).toFixed(1)} points; longest run alone: ${(Math.max(...alone(measured).map((m) => m.seconds)) / 60).toFixed(2)} min.`,
    '',
    verdict(measured),
  ].join('\n');
}

/** The runs that had the machine to themselves: only their times say how long a run takes. */
const alone = (measured: MeasureRow[]) => measured.filter((m) => m.jobs === 1);

/** Whether the 5-seed check meets the target: +15 points on average, none below its start, ≤ 5 minutes a run. */
function verdict(measured: MeasureRow[]): string {
  const below = measured.filter((m) => m.after < m.before).length;
  const gain = mean(measured.map((m) => (m.after - m.before) / m.n));
  const slow = alone(measured).filter((m) => m.seconds > 300).length;
  const met = gain >= 0.15 && below === 0 && slow === 0 && alone(measured).length > 0;
  return `**The target is ${met ? '' : 'not '}met** (a mean gain of at least 15 points, no seed below its start, at most 5 minutes a run): mean ${(100 * gain).toFixed(1)} points, ${below} of ${measured.length} seeds below their start, ${slow} of ${alone(measured).length} runs timed alone over 5 minutes.`;
}

/** docs/training-defaults.md (and its plot) from the search and measurement results in runs/. */
function writeReport(): void {
  const read = <T>(file: string): T | undefined =>
    existsSync(join(outDir, file)) ? JSON.parse(readFileSync(join(outDir, file), 'utf8')) : undefined;
  const results = read<CandidateResult[]>('search.json') ?? [];
  const measured = read<MeasureRow[]>(`measure-${choice.name}.json`);
  const picked = candidates.find((c) => label(c.name) === choice.name);
  if (picked === undefined) throw new Error(`no candidate ${choice.name}`);
  const differs = Object.entries(picked.settings).filter(
    ([key, value]) => defaultTrainingSettings[key as keyof TrainingSettings] !== value,
  );
  if (differs.length > 0)
    throw new Error(
      `defaultTrainingSettings differ from candidate ${choice.name} in ${differs.map(([k]) => k).join(', ')}`,
    );
  const rows = results.map((r) => {
    const reward = r.metrics.map((m) => num(m.meanReward));
    const kl = r.metrics.map((m) => num(m.approxKl));
    const third = Math.max(1, Math.floor(reward.length / 3));
    const s = r.settings;
    return `| ${r.name} | lr ${s.learningRate}, T ${s.temperature}, ${s.promptsPerUpdate}×${s.groupSize}, ${s.ppoEpochs} epochs × ${Math.ceil((s.promptsPerUpdate ?? 1) / (s.ppoMiniBatchSize ?? 1))} mini-batches, rank ${s.loraRank}, ${s.updates} updates | ${r.why} | ${pct(r.before)} → **${pct(r.after)}** | ${mean(reward.slice(0, third)).toFixed(2)} → ${mean(reward.slice(-third)).toFixed(2)} | ${Math.max(...kl.map(Math.abs)).toFixed(3)} | ${(r.seconds / 60).toFixed(1)} min |`;
  });
  const measureText =
    measured === undefined ? 'Not measured yet: `npm run search:defaults -- --measure`.' : measureTable(measured);
  writeFileSync(
    join(root, 'docs/training-defaults.md'),
    `# How the training defaults were chosen

Written by \`npm run search:defaults\` (scripts/training-defaults.ts) from its last runs. The defaults
live in one object, \`defaultTrainingSettings\` (src/agent/training/settings.ts), which the Training
form and \`sodp train\` both start from; the script refuses to write this page if that object and
the chosen candidate differ.

## What the search looked at

Only training signals: the batch reward, the PPO KL estimate, and greedy accuracy on a
**validation split cut from the training problems** (the last 100 lines of
\`public/tasks/arithmetic-train.jsonl\`; the runs train on the first 900). The held-out problems
of \`public/tasks/arithmetic-test.jsonl\` were not looked at in the search. Method SOD, the demo
pair, the CPU backend, two runs at a time on a 2-core machine (a run is mostly one thread: two at a
time take about as long as one alone, see the check below). Each time includes five greedy
evaluations of the 100 validation problems.

## Settings tried, in order

| | settings | why this one | validation before → after | batch reward, first → last third | max \|KL\| per update | wall time |
| --- | --- | --- | --- | --- | --- | --- |
${rows.join('\n')}

Every row but the last ran on the previous demo pair, whose cold-start student stopped at a third
of its validation set and failed mostly by miscopying numbers; R3 ran on the current pair
(src/models/demo/README.md). Q and R shared the machine with a run of the test suite as well, hence their longer wall times;
their time per update alone is that of M and N (the training pass costs the same per token).
S and U ran after the engine learned to run a shared prompt once (docs/architecture.md), about
twice as fast per update, but each with other work on the machine.

![batch accuracy during training (running mean of 5 updates) and validation accuracy before and after, per candidate](training-defaults.svg)

## The choice

**${picked.name}** — ${choice.why}

## An earlier search, and why it was redone

A first search (candidates A–L, 14 runs) was made on the previous demo pair, whose student
only miscopied numbers, and before a fix to the engine: the student's KV cache survived
optimizer steps, so from the second update on, rollouts and the in-run validation mixed keys and
values of the old adapter with the new one. Its validation numbers described that mixed model
(one candidate's adapter, evaluated afresh, solved 29 of 100 validation problems where its run
reported 45), and its choice (lr 1e-3) fell in every seed of its held-out check, so it ended on
lr 3e-4, which barely moved the student (+3 points on the held-out problems after the fix). The
search above was made from scratch on the fixed engine and the current pair.

## Does it deliver? Five seeds on the held-out problems

\`sodp train\` with the defaults (only \`--seed\` set), then \`sodp eval\` on the 200 problems of
\`public/tasks/arithmetic-test.jsonl\`. A run timed alone had the 2-core machine to itself; the
others ran two at a time, so their times are those of a run sharing the machine.

${measureText}

Seed 1 had the machine to itself. Seeds 2 and 3 shared it with each other, a run of the test suite
and the R3 run, hence their longer times. A first try of seeds 4 and 5 stopped with an error: a
sampled call printed a number of thousands of digits, and its trajectory outgrew the model's
2048 positions. Rollouts now end where a tool result would not fit (the policy's context
length); seeds 4 and 5 ran with that. Seeds 2 and 3 ran before it, but their longest trajectory
has 1039 tokens, far from the bound, so the fix changes nothing in them.

On the previous demo pair the same check fell short: from 81 of 200, the five seeds ended on
100, 106, 93, 107 and 102 (a mean gain of 10.3 points; 3.99 min alone). After training, that
student's tool errors were mostly gone (72 → 11 in seed 1), but it miscopied the numbers of the
calls it now made cleanly about as often as before, and twenty updates of distillation barely
teach a 3-layer model to copy digits. That is why the pair was rebuilt with a student that
copies well and fails by habits the teacher never has; the defaults were not searched again
beyond R3.
`,
  );
  writeFileSync(join(root, 'docs/training-defaults.svg'), plot(results));
  log('wrote docs/training-defaults.md and docs/training-defaults.svg');
}

/** Left: each candidate's batch accuracy per update (running mean of 5). Right: validation before → after. */
function plot(results: CandidateResult[]): string {
  const palette = [
    '#1f77b4',
    '#ff7f0e',
    '#2ca02c',
    '#d62728',
    '#9467bd',
    '#8c564b',
    '#e377c2',
    '#7f7f7f',
    '#bcbd22',
    '#17becf',
  ];
  const [W, H, w, h, top] = [900, 340, 360, 230, 40];
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12"><rect width="100%" height="100%" fill="white"/>`,
  ];
  const maxUpdates = Math.max(1, ...results.map((r) => r.metrics.length));
  const axes = (x0: number, title: string, xLabel: string) => {
    out.push(
      `<text x="${x0}" y="24" font-weight="bold">${title}</text>`,
      `<rect x="${x0}" y="${top}" width="${w}" height="${h}" fill="none" stroke="#999"/>`,
      `<text x="${x0 + w / 2}" y="${top + h + 32}" text-anchor="middle">${xLabel}</text>`,
    );
    for (let i = 0; i <= 4; i++) {
      const y = top + h - (h * i) / 4;
      out.push(
        `<line x1="${x0}" x2="${x0 + w}" y1="${y}" y2="${y}" stroke="#eee"/>`,
        `<text x="${x0 - 6}" y="${y + 4}" text-anchor="end">${25 * i}%</text>`,
      );
    }
  };
  const sy = (acc: number) => top + h - acc * h;
  axes(50, 'Batch accuracy while training (running mean of 5)', 'update');
  results.forEach((r, i) => {
    const acc = r.metrics.map((m) => num(m.accuracy));
    const points = acc.map((_, u) => {
      const window = acc.slice(Math.max(0, u - 4), u + 1);
      return `${(50 + (u / Math.max(1, maxUpdates - 1)) * w).toFixed(1)},${sy(mean(window)).toFixed(1)}`;
    });
    out.push(`<polyline points="${points.join(' ')}" fill="none" stroke="${palette[i % 10]}" stroke-width="1.5"/>`);
  });
  axes(500, 'Validation accuracy, before → after', 'candidate');
  results.forEach((r, i) => {
    const x = 500 + ((i + 0.5) / results.length) * w;
    out.push(
      `<line x1="${x}" x2="${x}" y1="${sy(r.before)}" y2="${sy(r.after)}" stroke="${palette[i % 10]}" stroke-width="3"/>`,
      `<circle cx="${x}" cy="${sy(r.after)}" r="4" fill="${palette[i % 10]}"/>`,
      `<text x="${x}" y="${top + h + 16}" text-anchor="middle">${label(r.name)}</text>`,
    );
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

mkdirSync(outDir, { recursive: true });
const trainLines = readFileSync(join(root, 'public/tasks/arithmetic-train.jsonl'), 'utf8').trim().split('\n');
const trainFile = join(outDir, 'train.jsonl');
const validationFile = join(outDir, 'validation.jsonl');
writeFileSync(trainFile, trainLines.slice(0, 900).join('\n') + '\n');
writeFileSync(validationFile, trainLines.slice(900).join('\n') + '\n');

if (opts.measure) await measure();
else await search();

async function search(): Promise<void> {
  const settingsFile = (c: (typeof candidates)[number]) => join(outDir, `candidate-${label(c.name)}`, 'candidate.json');
  const isDone = (c: (typeof candidates)[number]) =>
    existsSync(settingsFile(c)) && readFileSync(settingsFile(c), 'utf8') === JSON.stringify(c.settings);
  // --only runs some candidates; those run before are read back, so the report keeps them all.
  const chosen = candidates.filter((c) => c.name.startsWith(opts.only ?? '') || isDone(c));
  const results = await pool(
    chosen.map((c) => async () => {
      const dir = join(outDir, `candidate-${label(c.name)}`);
      const done = isDone(c);
      const t0 = performance.now();
      // A candidate already run with the same settings is read back, not run again.
      if (!done)
        await sodp(
          trainPair(
            trainFile,
            '--eval-tasks',
            validationFile,
            '--eval-n',
            '100',
            '--backend',
            'cpu',
            ...flags(c.settings),
            '--out',
            dir,
          ),
        );
      if (!done) writeFileSync(join(dir, 'seconds.txt'), String((performance.now() - t0) / 1000));
      writeFileSync(settingsFile(c), JSON.stringify(c.settings));
      const seconds = Number(readFileSync(join(dir, 'seconds.txt'), 'utf8'));
      const metrics = readJsonl(join(dir, 'metrics.jsonl'));
      const evaluations = readJsonl(join(dir, 'evaluations.jsonl'));
      const before = num(evaluations.find((e) => e.when === 'before')?.accuracy);
      const after = num(evaluations.find((e) => e.when === 'after')?.accuracy);
      log(`${c.name}: validation ${pct(before)} → ${pct(after)} in ${(seconds / 60).toFixed(1)} min`);
      return { ...c, seconds, metrics, before, after };
    }),
    Number(opts.jobs),
  );
  writeFileSync(join(outDir, 'search.json'), JSON.stringify(results, null, 1));
  writeReport();
}

async function measure(): Promise<void> {
  const seeds = Array.from({ length: Number(opts.seeds) }, (_, i) => i + 1);
  const evalArgs = (adapter?: string) => [
    'eval',
    '--model',
    student,
    ...(adapter === undefined ? [] : ['--adapter', adapter]),
    '--tasks',
    'public/tasks/arithmetic-test.jsonl',
    '--n',
    '200',
    '--max-turns',
    String(defaultTrainingSettings.maxTurns),
    '--max-tokens',
    String(defaultTrainingSettings.maxTokens),
    '--backend',
    'cpu',
  ];
  const before = JSON.parse(await sodp(evalArgs()));
  log(`student before training: ${before.correct}/200`);
  const rows = await pool(
    seeds.map((seed) => async (): Promise<MeasureRow> => {
      const dir = join(outDir, `${choice.name}-measure-seed${seed}`);
      const resultFile = join(dir, 'result.json');
      // A seed already measured is read back (with the time it took then).
      if (!existsSync(resultFile)) {
        const t0 = performance.now();
        await sodp(
          trainPair('public/tasks/arithmetic-train.jsonl', '--backend', 'cpu', '--seed', String(seed), '--out', dir),
        );
        const after = JSON.parse(await sodp(evalArgs(join(dir, 'adapter'))));
        writeFileSync(
          resultFile,
          JSON.stringify({ after: after.correct, seconds: (performance.now() - t0) / 1000, jobs: Number(opts.jobs) }),
        );
      }
      const { after, seconds, jobs } = JSON.parse(readFileSync(resultFile, 'utf8'));
      log(`seed ${seed}: ${before.correct} → ${after} of 200 in ${(seconds / 60).toFixed(2)} min`);
      return { seed, before: before.correct, after, n: 200, seconds, jobs };
    }),
    Number(opts.jobs),
  );
  writeFileSync(join(outDir, `measure-${choice.name}.json`), JSON.stringify(rows, null, 1));
  writeReport();
}
