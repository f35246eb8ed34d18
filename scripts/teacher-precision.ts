/**
 * How far each way of running the teacher moves its log-probs τ, and with them SOD's step
 * weights w_k, from the f32 engine's: the table in docs/teacher-precision.md and
 * src/models/teacher-precision.json (which the Models view shows).
 *
 *   npm run precision:teacher [-- --trajectories N] [--real-trajectories N] [--out DIR]
 *                                 [--paths 'NAME;NAME']   (only these rows; the others are kept)
 *                                 [--render]   (only rewrite the markdown from the JSON)
 *
 * Trajectories: the demo student's own rollouts at temperature 1 (sodp rollout, cached in
 * --out). Two teachers score them:
 *   - the demo teacher (trained: peaked distributions, as a real teacher's);
 *   - a random Qwen3 of the real Qwen3-0.6B dimensions in 2 layers with the real tokenizer,
 *     scoring the same trajectories re-encoded with it, segment by segment so every step keeps
 *     its boundaries (the student's log-probs there come from a second random model).
 * Each path scores every trajectory; against the f32 CPU engine we report mean and max |Δτ|
 * over generated tokens, and mean |Δw_k| over steps (src/sod's weighSteps, defaults).
 * Paths: the engine in f16 (WebGPU's values, computed on the CPU), int8, int4 in groups of 32
 * and 128 (the CPU's packed kernels; WebGPU's agree with them to 2e-4,
 * src/engine/quantized-model.test.ts), and the ONNX
 * exports of `sodp export-onnx` through transformers.js: on onnxruntime's CPU provider in Node,
 * and on onnxruntime-web's WebGPU provider in headless Chromium (fp32 and q4).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadTokenizer } from '../src/agent/load-tokenizer';
import { trajectoryFromRecord } from '../src/agent/trajectory';
import type { LogprobScorer } from '../src/core/policy';
import type { Backend } from '../src/engine/backend';
import { CpuBackend, QuantizedCpuBackend } from '../src/engine/cpu/backend';
import { EngineScorer } from '../src/engine/inference';
import { loadQwen3 } from '../src/engine/load';
import { folderFiles } from '../src/engine/node-files';
import type { Floats } from '../src/engine/cpu/floats';
import { roundToHalf } from '../src/engine/half-floats';
import { exportDtypes, onnxFileNames, type ExportDtype } from '../src/models/onnx/dtypes';
import { exportOnnxFolder } from '../src/models/onnx/export-folder';
import { writeRandomQwen3Folder } from '../src/models/testing/random-qwen3';
import { TransformersScorer } from '../src/models/transformers-scorer';
import { weighSteps } from '../src/sod/weights';
import { startHubServer } from '../tests/support/hub-server';
import { openModelPage } from '../tests/support/model-page';

const { values } = parseArgs({
  options: {
    trajectories: { type: 'string', default: '32' },
    'real-trajectories': { type: 'string', default: '8' },
    out: { type: 'string', default: 'runs/teacher-precision' },
    // Measure only these paths (their names, separated by ';') and keep the table's other rows.
    paths: { type: 'string' },
    // Only rewrite docs/teacher-precision.md from src/models/teacher-precision.json.
    render: { type: 'boolean', default: false },
  },
});
const onlyPaths = values.paths?.split(';').map((p) => p.trim());
const count = Number(values.trajectories);
const realCount = Number(values['real-trajectories']);
const out = resolve(values.out);
mkdirSync(out, { recursive: true });

interface Scored {
  prompt: number[];
  response: number[];
  mask: number[];
  student: number[];
}

/** A teacher path: a name, and how to open it on a model folder. */
interface TeacherPath {
  name: string;
  /** Key of the path in the JSON the Models view reads. */
  key: string;
  open(folder: string): Promise<{ scorer: Pick<LogprobScorer, 'scoreTokens'>; close(): Promise<void> | void }>;
}

function enginePath(name: string, key: string, backend: () => Promise<Backend<unknown>>): TeacherPath {
  return {
    name,
    key,
    async open(folder) {
      const b = await backend();
      const model = await loadQwen3(b, folderFiles(folder));
      return { scorer: new EngineScorer(name, model), close: () => {} };
    },
  };
}

/**
 * f16 storage computed on the CPU: the matrices rounded to f16, the values the WebGPU kernels
 * compute with (they agree with this to 2e-4, src/engine/webgpu/backend.test.ts), at the CPU's
 * speed rather than SwiftShader's.
 */
class HalfRoundedCpuBackend extends CpuBackend {
  override uploadRows(data: Float32Array, rows: number, label: string): Floats {
    return super.uploadRows(roundToHalf(data), rows, label);
  }
}

/** The teacher's ONNX export of `dtype` (sodp export-onnx), made once in --out. */
async function exported(folder: string, dtype: ExportDtype): Promise<string> {
  const dir = join(out, 'onnx', basename(folder));
  if (!existsSync(join(dir, 'onnx', onnxFileNames[dtype]))) await exportOnnxFolder(folder, dir, { dtype });
  return resolve(dir);
}

/** An ONNX export through transformers.js on onnxruntime-node's CPU provider. */
function onnxPath(dtype: ExportDtype): TeacherPath {
  return {
    name: `ONNX ${dtype} (transformers.js)`,
    key: `onnx-${dtype}`,
    async open(folder) {
      const scorer = await TransformersScorer.load(await exported(folder, dtype), {
        devices: ['cpu'],
        localFilesOnly: true,
        dtype,
      });
      return { scorer, close: () => scorer.dispose() };
    },
  };
}

/**
 * The same export in the page: transformers.js on onnxruntime-web's WebGPU provider in headless
 * Chromium (SwiftShader without a GPU), served by a local Hub-layout server. Its kernels sum in
 * another order than the CPU provider's, so fp32 differs more; the row shares its dtype's key, so
 * the Models view and the tests account for both providers.
 */
function onnxPagePath(dtype: ExportDtype): TeacherPath {
  return {
    name: `ONNX ${dtype} (transformers.js on WebGPU in the page)`,
    key: `onnx-${dtype}`,
    async open(folder) {
      const hub = await startHubServer({ 'local/teacher': await exported(folder, dtype) });
      const page = await openModelPage();
      const close = async () => {
        await page.close();
        hub.server.close();
        hub.server.closeAllConnections();
      };
      try {
        const scorer = await page.open({
          endpoint: hub.url,
          repo: 'local/teacher',
          runtime: { kind: 'onnx', dtype, devices: ['webgpu'] },
        });
        return { scorer, close };
      } catch (err) {
        await close();
        throw err;
      }
    },
  };
}

const reference = enginePath('engine f32 (CPU)', 'f32', async () => new CpuBackend());
const allPaths: TeacherPath[] = [
  enginePath('engine f16 (WebGPU)', 'f16', async () => new HalfRoundedCpuBackend()),
  enginePath('engine int8', 'int8', async () => new QuantizedCpuBackend('int8')),
  enginePath('engine int4, groups of 32', 'int4-32', async () => new QuantizedCpuBackend('int4', 32)),
  enginePath('engine int4, groups of 128', 'int4-128', async () => new QuantizedCpuBackend('int4', 128)),
  ...exportDtypes.map(onnxPath),
  // fp16 graphs need the adapter's shader-f16, which SwiftShader lacks (the page runs them on wasm there).
  onnxPagePath('fp32'),
  onnxPagePath('q4'),
];
const paths = allPaths.filter((path) => onlyPaths === undefined || onlyPaths.includes(path.name));
for (const name of onlyPaths ?? [])
  if (!allPaths.some((p) => p.name === name))
    throw new Error(`--paths: no path named "${name}" (the paths: ${allPaths.map((p) => p.name).join('; ')})`);

/** The demo student's rollouts, made once. */
function demoTrajectories(): Scored[] {
  const file = join(out, `demo-trajectories-${count}.jsonl`);
  if (!existsSync(file)) {
    console.log(`rolling out ${count} trajectories with the demo student…`);
    execFileSync(
      'node',
      [
        'bin/sodp.mjs',
        'rollout',
        '--model',
        'public/models/tiny-qwen3-student',
        '--tasks',
        'public/tasks/arithmetic-test.jsonl',
        '--n',
        String(count),
        '--temperature',
        '1',
        '--seed',
        '7',
        '--backend',
        'cpu',
        '--out',
        file,
      ],
      { stdio: 'inherit' },
    );
  }
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((line) => {
      const t = trajectoryFromRecord(JSON.parse(line));
      if (t.student_logprobs === undefined) throw new Error(`${file}: a trajectory without student_logprobs`);
      return { prompt: t.prompt_ids, response: t.response_ids, mask: t.mask, student: t.student_logprobs };
    });
}

/** The same trajectories in another tokenizer: each run of equal mask re-encoded from its text. */
async function reencode(trajectories: Scored[], from: string, to: string): Promise<Omit<Scored, 'student'>[]> {
  const source = await loadTokenizer(from);
  const target = await loadTokenizer(to);
  const convert = (ids: number[]) =>
    target.encode(source.decode(ids, { skip_special_tokens: false }), { add_special_tokens: false });
  return trajectories.map(({ prompt, response, mask }) => {
    const ids: number[] = [];
    const newMask: number[] = [];
    for (let start = 0; start < response.length; ) {
      let end = start;
      while (end < response.length && mask[end] === mask[start]) end++;
      const segment = convert(response.slice(start, end));
      ids.push(...segment);
      newMask.push(...segment.map(() => mask[start]));
      start = end;
    }
    return { prompt: convert(prompt), response: ids, mask: newMask };
  });
}

async function scoreAll(path: TeacherPath, folder: string, trajectories: readonly Omit<Scored, 'student'>[]) {
  const { scorer, close } = await path.open(folder);
  const t0 = performance.now();
  const tau: Float64Array[] = [];
  for (const t of trajectories) tau.push(await scorer.scoreTokens(t.prompt, t.response));
  const seconds = (performance.now() - t0) / 1000;
  await close();
  return { tau, seconds };
}

interface Row {
  path: string;
  key: string;
  meanAbsTau: number;
  maxAbsTau: number;
  meanAbsW: number;
}

function compare(path: TeacherPath, trajectories: Scored[], ref: Float64Array[], tau: Float64Array[]): Row {
  let sum = 0;
  let n = 0;
  let max = 0;
  let wSum = 0;
  let wN = 0;
  trajectories.forEach((t, i) => {
    for (let j = 0; j < t.response.length; j++) {
      if (t.mask[j] !== 1) continue;
      const d = Math.abs(tau[i][j] - ref[i][j]);
      sum += d;
      n++;
      max = Math.max(max, d);
    }
    const w = weighSteps({ studentLogprobs: t.student, teacherLogprobs: tau[i], mask: t.mask }).weights;
    const wRef = weighSteps({ studentLogprobs: t.student, teacherLogprobs: ref[i], mask: t.mask }).weights;
    w.forEach((wk, k) => {
      wSum += Math.abs(wk - wRef[k]);
      wN++;
    });
  });
  return { path: path.name, key: path.key, meanAbsTau: sum / n, maxAbsTau: max, meanAbsW: wSum / wN };
}

/** The rows of `model` in the table as it was, for the paths this run does not measure. */
function previousRows(model: string): Row[] {
  if (onlyPaths === undefined || !existsSync('src/models/teacher-precision.json')) return [];
  const table: { models: { model: string; rows: Row[] }[] } = JSON.parse(
    readFileSync('src/models/teacher-precision.json', 'utf8'),
  );
  return table.models.find((m) => m.model === model)?.rows ?? [];
}

async function measure(model: string, teacher: string, trajectories: Scored[]): Promise<Row[]> {
  console.log(`${model}: scoring ${trajectories.length} trajectories with the f32 engine…`);
  const ref = await scoreAll(reference, teacher, trajectories);
  const rows: Row[] = [];
  for (const path of paths) {
    console.log(`${model}: ${path.name}…`);
    const { tau } = await scoreAll(path, teacher, trajectories);
    const row = compare(path, trajectories, ref.tau, tau);
    console.log(
      `  mean |Δτ| ${row.meanAbsTau.toExponential(2)}, max |Δτ| ${row.maxAbsTau.toExponential(2)}, mean |Δw_k| ${row.meanAbsW.toExponential(2)}`,
    );
    rows.push(row);
  }
  // Every path in its place in the list, measured now or kept from before.
  const kept = previousRows(model);
  return allPaths.flatMap((path) => rows.find((r) => r.path === path.name) ?? kept.filter((r) => r.path === path.name));
}

if (values.render) {
  const table: typeof result = JSON.parse(readFileSync('src/models/teacher-precision.json', 'utf8'));
  writeFileSync('docs/teacher-precision.md', markdown(table));
  console.log('wrote docs/teacher-precision.md');
  process.exit(0);
}

const demo = demoTrajectories();
const demoRows = await measure('demo teacher', 'public/models/tiny-qwen3-teacher', demo);

// Real dimensions: the same trajectories in Qwen3's vocabulary, a random student and teacher.
const realTeacher = join(out, 'random-qwen3-0.6B-2layers-teacher');
const realStudent = join(out, 'random-qwen3-0.6B-2layers-student');
if (!existsSync(realTeacher)) writeRandomQwen3Folder(realTeacher, { size: '0.6B', layers: 2, seed: 2 });
if (!existsSync(realStudent)) writeRandomQwen3Folder(realStudent, { size: '0.6B', layers: 2, seed: 1 });
// Fewer at real size: each token there goes through a 151936-row LM head.
const reencoded = await reencode(demo.slice(0, realCount), 'public/models/tiny-qwen3-student', realTeacher);
const studentScores = await scoreAll(
  enginePath('student', 'student', async () => new CpuBackend()),
  realStudent,
  reencoded,
);
const real: Scored[] = reencoded.map((t, i) => ({ ...t, student: Array.from(studentScores.tau[i]) }));
const realModel = 'random Qwen3-0.6B dimensions, 2 layers';
const realRows = await measure(realModel, realTeacher, real);

const tokens = (ts: Scored[]) => ts.reduce((n, t) => n + t.mask.reduce((a, b) => a + b, 0), 0);
const steps = (ts: Scored[]) =>
  ts.reduce(
    (n, t) => n + weighSteps({ studentLogprobs: t.student, teacherLogprobs: t.student, mask: t.mask }).steps.length,
    0,
  );
const result = {
  made: new Date().toISOString().slice(0, 10),
  command: 'npm run precision:teacher',
  models: [
    { model: 'demo teacher', trajectories: demo.length, tokens: tokens(demo), steps: steps(demo), rows: demoRows },
    {
      model: realModel,
      trajectories: real.length,
      tokens: tokens(real),
      steps: steps(real),
      rows: realRows,
    },
  ],
};
writeFileSync(join(out, 'teacher-precision.json'), `${JSON.stringify(result, null, 2)}\n`);
writeFileSync('src/models/teacher-precision.json', `${JSON.stringify(result, null, 2)}\n`);
writeFileSync('docs/teacher-precision.md', markdown(result));
console.log('wrote src/models/teacher-precision.json and docs/teacher-precision.md');

/** The paths a model's table lacks, said under it. */
function notMeasured(rows: readonly Row[]): string {
  const missing = allPaths.filter((p) => !rows.some((row) => row.path === p.name)).map((p) => p.name);
  return missing.length === 0 ? '' : `\nNot measured on this model: ${missing.join('; ')}.\n`;
}

function markdown(r: typeof result): string {
  const e = (x: number) => (x === 0 ? '0' : x.toExponential(1));
  const tables = r.models.map(
    (m) => `### ${m.model}

${m.trajectories} trajectories, ${m.tokens} generated tokens, ${m.steps} steps.

| teacher path | mean \\|Δτ\\| | max \\|Δτ\\| | mean \\|Δw_k\\| |
| --- | --- | --- | --- |
${m.rows.map((row) => `| ${row.path} | ${e(row.meanAbsTau)} | ${e(row.maxAbsTau)} | ${e(row.meanAbsW)} |`).join('\n')}
${notMeasured(m.rows)}`,
  );
  return `# Teacher precision: how each way of running the teacher moves τ and w_k

The teacher only scores: τ_t = log π_teacher(y_t | y_<t) for every response token. Stored in
less than f32, its τ moves, and with it SOD's step weights w_k. This table says by how much, so
a researcher can tell a change of w_k that comes from the student from one that comes from the
teacher's storage. Each path is compared with the f32 engine on the CPU, on the same
trajectories: |Δτ| over the tokens the student generated, |Δw_k| over the steps (src/sod's
weighSteps, default ε and δ). Made by \`${r.command}\` (scripts/teacher-precision.ts) on ${r.made}.

Paths:
- **engine f16**: the WebGPU backend's f16 weights (computed here on the CPU with the
  f16-rounded weights, the values WebGPU's kernels read; the two agree to 2e-4).
- **engine int8 / int4**: weights quantized as they load (src/engine/quantize.ts): int8 with a
  scale per row, int4 with a scale per group of 32 or 128 values. The CPU's and WebGPU's
  packed kernels agree to 2e-4.
- **ONNX fp32 / fp16 / q4**: \`sodp export-onnx\` of the teacher, scored by transformers.js on
  onnxruntime's CPU provider in Node. q4 is \`MatMulNBits\` with blocks of 32 and a float32
  embedding.
- **ONNX …, WebGPU in the page**: the same graphs in headless Chromium on onnxruntime-web's
  WebGPU provider (SwiftShader on the machine that made this table), as the playground's teacher
  worker runs them. Its kernels add in another order, so fp32 differs more than on the CPU. fp16
  graphs need the adapter's \`shader-f16\`, which SwiftShader lacks; the page then runs them on
  wasm, whose numbers are the CPU provider's. At the real dimensions that provider scores about a
  token a second on SwiftShader, so its rows there take hours; where a table lacks them, the
  tests take the demo teacher's.

Trajectories: the demo student's rollouts at temperature 1 on the held-out arithmetic tasks.
The second table scores the same trajectories, re-encoded with Qwen3's tokenizer segment by
segment, with a random Qwen3 of the real 0.6B dimensions in 2 layers (its student log-probs
from a second random model). A random model's distributions are near uniform and its logits
large, so its |Δτ| under 4-bit storage is larger than a trained model's would be.

${tables.join('\n')}
The tests hold each path to twice the largest |Δτ| measured here
(src/models/teacher-precision.test.ts; the ONNX teacher's in the page, tests/e2e/onnx-teacher.e2e.test.ts
and, at the real dimensions, tests/e2e/onnx-real-size.e2e.test.ts), taking both providers' rows
of a dtype together.

How to read it: a change of w_k smaller than a path's mean |Δw_k| may come from the teacher's
storage alone. f16 and int8 move w_k by 1e-3 or less, far below what training does to it (SOD's
mean w_k falls by tenths over the demo's updates, docs/mini-replication.md). f16 is nearly exact
on the random model because its weights are bf16, which f16 holds exactly in its normal range.
int4 (engine or ONNX q4) moves τ by tenths of a nat on average and by several nats on single
tokens, and w_k by 1e-2: use it when memory leaves no choice, and read small w_k changes with it
in mind.
`;
}
