/**
 * Makes the offline demo pair in public/models/ with the engine, seeded, on the CPU:
 *   1. a byte-level BPE learned from teacher solutions rendered by Qwen3's chat template;
 *   2. the teacher (4 layers, hidden 128) trained from scratch on scripted tool-use
 *      solutions, each run through the real rollout path and Python sandbox;
 *   3. the student (3 layers, hidden 128) cold-started by SFT on the same clean solutions until
 *      it solves --student-target (70%) of a validation set, then given habits: a short SFT
 *      where a share of the solutions slip (× or mod copied into Python, comb unimported,
 *      digits summed as text) and fix the code after the tool's error, so it makes the
 *      mistakes SOD is about;
 *   4. greedy accuracy of both on the 200 held-out problems of public/tasks/arithmetic-test.jsonl,
 *      how each trajectory ended, SOD's situation in the student's greedy and temperature-1
 *      rollouts (src/agent/situation.ts), the inspector's sample (a real rollout), an ONNX
 *      export of the teacher, and a report.
 *
 *   npm run make:demo-models [-- --out DIR --teacher-steps N --student-steps N --slip-rate P --eval N --workers N]
 *   npm run make:demo-models -- --teacher-from public/models/tiny-qwen3-teacher   (redo the student only)
 *   npm run make:demo-models -- --teacher-from … --student-from runs/demo-models/cold-student   (redo its second phase only)
 */
import { existsSync, mkdirSync, mkdtempSync, openAsBlob, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ChatFormat } from '../src/agent/chat';
import { loadTokenizer } from '../src/agent/load-tokenizer';
import { evaluateGreedy, summarize } from '../src/agent/evaluate';
import { countOutcomes } from '../src/agent/outcome';
import { readSituation, summarizeSituations } from '../src/agent/situation';
import { sampleGroups, scoreTrajectory } from '../src/agent/update';
import { weighSteps, type StepWeighting } from '../src/sod/weights';
import { topAlternatives } from '../src/engine/alternatives';
import { Decoder, EnginePolicy } from '../src/engine/inference';
import { defaultSampling } from '../src/core/policy';
import { runRollout } from '../src/agent/rollout';
import { ScriptedPolicy } from '../src/agent/scripted-policy';
import { generateArithmeticTasks } from '../src/agent/tasks/arithmetic';
import { parseTasks, type Task } from '../src/agent/tasks/task';
import type { Trajectory } from '../src/agent/trajectory';
import { qwen3ConfigJson, qwen3SizeFields, type Qwen3Config } from '../src/engine/config';
import { CpuBackend } from '../src/engine/cpu/backend';
import { weightNames } from '../src/engine/params';
import { SafetensorsFile } from '../src/engine/safetensors';
import { modelFolderFiles } from '../src/models/demo/model-folder';
import { demoShapes, demoTokenizer, initialDemoWeights } from '../src/models/demo/recipe';
import { slipTurns, teacherTurns } from '../src/models/demo/teacher-solutions';
import { seededUniform } from '../src/core/random';
import {
  learningRate,
  ScratchModel,
  type ScratchStep,
  type ScratchTraining,
  type ScratchTrainingOptions,
} from '../src/models/demo/train-from-scratch';
import type { SftExample } from '../src/models/demo/sft-worker-protocol';
import { qwen3ToOnnx } from '../src/models/onnx/export-qwen3';
import { qwen3TokenizerFolder, qwen3TokenizerSource } from '../src/models/tokenizer/qwen3-source';
import { createNodeSandbox } from '../src/tools/node-sandbox';
import { nodeWorker } from '../src/core/rpc/node-worker';
import { ManagedWorker } from '../src/core/rpc/worker-client';
import type { SftWorkerProtocol } from '../src/models/demo/sft-worker-protocol';

const { values: opts } = parseArgs({
  options: {
    out: { type: 'string', default: 'public/models' },
    'teacher-tasks': { type: 'string', default: '8000' },
    'teacher-steps': { type: 'string', default: '700' },
    'student-steps': { type: 'string', default: '1200' },
    'student-target': { type: 'string', default: '0.7' },
    validation: { type: 'string', default: '100' },
    eval: { type: 'string', default: '200' },
    workers: { type: 'string', default: '2' },
    'teacher-from': { type: 'string' },
    'slip-rate': { type: 'string', default: '0.7' },
    'slip-steps': { type: 'string', default: '150' },
    'student-from': { type: 'string' },
    'cold-student': { type: 'string', default: 'runs/demo-models/cold-student' },
  },
});
const int = (
  name: 'teacher-tasks' | 'teacher-steps' | 'student-steps' | 'slip-steps' | 'validation' | 'eval' | 'workers',
) => {
  const n = Number(opts[name]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${opts[name]}`);
  return n;
};

const studentTarget = Number(opts['student-target']);
if (!(studentTarget > 0 && studentTarget <= 1))
  throw new Error(`--student-target must be in (0, 1], got ${opts['student-target']}`);
const slipRate = Number(opts['slip-rate']);
if (!(slipRate >= 0 && slipRate <= 1)) throw new Error(`--slip-rate must be in [0, 1], got ${opts['slip-rate']}`);
const started = performance.now();
const log = (line: string) =>
  console.log(`[${((performance.now() - started) / 1000).toFixed(0).padStart(5)} s] ${line}`);
const evalLimits = { maxTurns: 4, maxTurnTokens: 200, maxTotalTokens: 600 };
const root = join(dirname(new URL(import.meta.url).pathname), '..');
const outRoot = resolve(root, opts.out);
const coldStudentDir = resolve(root, opts['cold-student']);

// Problems: the held-out test set ships in public/tasks; training problems never repeat its questions.
const testTasks = parseTasks(
  readFileSync(join(root, 'public/tasks/arithmetic-test.jsonl'), 'utf8'),
  'arithmetic-test.jsonl',
).slice(0, int('eval'));
const heldOut = new Set(testTasks.map((t) => t.question));
const teacherTasks = generateArithmeticTasks(int('teacher-tasks'), 11, 'demo-teacher', heldOut);
const validationTasks = generateArithmeticTasks(
  int('validation'),
  13,
  'demo-validation',
  new Set([...heldOut, ...teacherTasks.map((t) => t.question)]),
);

// 1. The tokenizer, loaded back from its files as every model folder is.
const source = qwen3TokenizerSource();
const { files: tokenizer, vocabSize } = demoTokenizer(
  teacherTasks.slice(0, 600),
  new ChatFormat(await loadTokenizer(qwen3TokenizerFolder())),
  source,
);
const scratch = mkdtempSync(join(tmpdir(), 'sodp-demo-'));
const tokenizerDir = join(scratch, 'tokenizer');
mkdirSync(tokenizerDir);
for (const [file, content] of Object.entries(tokenizer))
  writeFileSync(join(tokenizerDir, file), JSON.stringify(content));
const chat = new ChatFormat(await loadTokenizer(tokenizerDir));
log(
  `tokenizer: ${vocabSize} tokens; a prompt is ${chat.promptIds([{ role: 'user', content: testTasks[0].question }]).length}+ tokens`,
);

const sandbox = createNodeSandbox();
const sft = (t: Trajectory): SftExample => ({ promptIds: t.prompt_ids, responseIds: t.response_ids, mask: t.mask });

/**
 * A scripted solution run through the real rollout path and sandbox, checked: every call but
 * the last fails (a slip), and the last prints the answer.
 */
async function solution(task: Task, turns: string[], session: string): Promise<SftExample> {
  const t = await runRollout({
    task,
    group: task.id,
    policy: new ScriptedPolicy(chat.tokenizer, turns),
    recordLogprobs: false,
    chat,
    sandbox,
    sampling: defaultSampling,
    session,
  });
  const last = t.tool_calls.at(-1);
  const slipsFail = t.tool_calls.slice(0, -1).every((c) => c.error !== null);
  if (!t.correct || !slipsFail || last?.output.trim() !== task.answer || t.tool_calls.length !== turns.length - 1)
    throw new Error(
      `the scripted solution of ${task.id} (${task.question}) does not compute ${task.answer}: ${JSON.stringify(t.tool_calls)}`,
    );
  return sft(t);
}

// 2. The teacher's data: clean scripted solutions. The student's: the same problems, where a
//    share (--slip-rate) of those of the kinds with a slip start with the slipped call, then
//    the fix after the tool's real error text.
const teacherData: SftExample[] = [];
const studentData: SftExample[] = [];
const slipDraw = seededUniform(17);
for (const [i, task] of teacherTasks.entries()) {
  const clean = await solution(task, teacherTurns(task), `data-${i}`);
  teacherData.push(clean);
  const slipped = slipTurns(task);
  const slips = slipped !== undefined && slipDraw() < slipRate;
  studentData.push(slips ? await solution(task, slipped, `slip-${i}`) : clean);
}
const meanLength = (data: SftExample[]) =>
  (data.reduce((n, x) => n + x.promptIds.length + x.responseIds.length, 0) / data.length).toFixed(0);
const slipped = studentData.filter((x, i) => x !== teacherData[i]).length;
log(`teacher data: ${teacherData.length} solutions, ${meanLength(teacherData)} tokens each on average`);
log(
  `student data: ${slipped} of ${studentData.length} solutions slip and fix; ${meanLength(studentData)} tokens each on average`,
);

type DemoModel = ScratchModel<Float32Array | Float64Array>;

/** Trains `model` (made from `initial`) on `data`; returns its loss curve. */
async function train(
  name: string,
  model: DemoModel,
  initial: Map<string, Float32Array>,
  data: readonly SftExample[],
  schedule: ScratchTraining,
  checkpoint?: ScratchTrainingOptions['checkpoint'],
): Promise<ScratchStep[]> {
  const config = model.config;
  // Gradient workers, one per core (a fixed number, so the sums and the result never depend on the machine).
  const workers = Array.from(
    { length: int('workers') },
    (_, i) =>
      new ManagedWorker<SftWorkerProtocol>(`${name} gradients ${i}`, () =>
        nodeWorker(new URL('../src/models/demo/sft-worker-main.ts', import.meta.url)),
      ),
  );
  await Promise.all(workers.map((w) => w.call('init', { config, tensors: [...initial], data: [...data] })));
  const curve: ScratchStep[] = [];
  const t0 = performance.now();
  const onStep = (s: ScratchStep) => {
    curve.push(s);
    if (s.step % 10 === 0 || s.step === schedule.steps) {
      const perStep = (performance.now() - t0) / 1000 / s.step;
      log(
        `${name} step ${s.step}/${schedule.steps}  loss ${s.loss.toFixed(4)}  lr ${s.lr.toExponential(2)}  |g| ${s.gradNorm.toFixed(2)}  ${perStep.toFixed(2)} s/step, ${(((schedule.steps - s.step) * perStep) / 60).toFixed(1)} min left`,
      );
    }
  };
  try {
    await model.train(data, schedule, { onStep, workers, checkpoint });
  } finally {
    for (const w of workers) w.dispose();
  }
  return curve;
}

async function evaluate(name: string, model: DemoModel, tasks: readonly Task[]) {
  const trajectories = await evaluateGreedy({
    policy: new EnginePolicy(name, model.model),
    chat,
    sandbox,
    tasks,
    limits: evalLimits,
  });
  const result = { ...summarize(trajectories), outcomes: countOutcomes(trajectories) };
  log(
    `${name}: ${result.correct}/${result.n} right (${(100 * result.accuracy).toFixed(1)}%), ${JSON.stringify(result.outcomes)}, stops ${JSON.stringify(result.stop_reasons)}`,
  );
  log(`${name}, first problem: ${JSON.stringify(trajectories[0]?.text.slice(0, 400))}`);
  return { result, trajectories };
}

/** The weights of a model folder written by an earlier run of this recipe. */
async function loadFolder(dir: string, config: Qwen3Config): Promise<Map<string, Float32Array>> {
  const file = await SafetensorsFile.open(
    await openAsBlob(join(dir, 'model.safetensors')),
    join(dir, 'model.safetensors'),
  );
  return new Map(
    await Promise.all(weightNames(config).map(async ({ name }) => [name, await file.read(name)] as const)),
  );
}

/** A loss curve from the report beside an earlier run's folder (`curves[name]`), as training steps. */
function earlierCurve(dir: string, name: string, schedule: ScratchTraining): ScratchStep[] {
  const reportFile = join(dir, '..', 'demo-report.json');
  if (!existsSync(reportFile)) return [];
  const previous: unknown = JSON.parse(readFileSync(reportFile, 'utf8'));
  const curves =
    typeof previous === 'object' && previous !== null && 'curves' in previous ? previous.curves : undefined;
  const curve =
    typeof curves === 'object' && curves !== null && name in curves
      ? (curves as Record<string, unknown>)[name]
      : undefined;
  return (Array.isArray(curve) ? curve : []).map((loss: unknown, i) => ({
    step: i + 1,
    loss: Number(loss),
    gradNorm: NaN,
    lr: learningRate(i, schedule),
    tokens: 0,
    seconds: 0,
  }));
}

const teacherConfig: Qwen3Config = { ...demoShapes.teacher, vocabSize };
const teacherSchedule: ScratchTraining = { steps: int('teacher-steps'), batchSize: 16, lr: 3e-3, warmup: 30, seed: 1 };
let teacher: DemoModel;
let teacherCurve: ScratchStep[];
if (opts['teacher-from'] === undefined) {
  const teacherInitial = initialDemoWeights(teacherConfig, 1);
  teacher = new ScratchModel(new CpuBackend(), teacherConfig, teacherInitial);
  teacherCurve = await train('teacher', teacher, teacherInitial, teacherData, teacherSchedule);
} else {
  // The teacher of an earlier run of this same recipe (training is seeded, so it is the teacher
  // this run would train), to redo only the student; its loss curve comes from that run's report.
  const dir = resolve(opts['teacher-from']);
  teacher = new ScratchModel(new CpuBackend(), teacherConfig, await loadFolder(dir, teacherConfig));
  teacherCurve = earlierCurve(dir, 'teacher', teacherSchedule);
  log(`teacher: loaded from ${dir}`);
}
const teacherEval = await evaluate('teacher', teacher, testTasks);

// 3. The student, in two phases. First a cold start: three quarters of the teacher's depth,
//    SFT on the teacher's clean solutions, trained until it solves --student-target of a
//    validation set (never the test set). Then its habits: a short SFT on
//    the same problems where a share of the solutions slip and fix the code after the tool's
//    error, which the teacher never does.
const studentConfig: Qwen3Config = { ...demoShapes.student, vocabSize };
const studentSchedule: ScratchTraining = { steps: int('student-steps'), batchSize: 16, lr: 3e-3, warmup: 30, seed: 2 };
const slipSchedule: ScratchTraining = { steps: int('slip-steps'), batchSize: 16, lr: 1e-3, warmup: 10, seed: 3 };
let student: DemoModel;
let studentCurve: ScratchStep[];
if (opts['student-from'] === undefined) {
  const studentInitial = initialDemoWeights(studentConfig, 2);
  student = new ScratchModel(new CpuBackend(), studentConfig, studentInitial);
  const studentCheckpoint = {
    every: 40,
    // Before step 160 it cannot have learned to copy numbers yet: skip those evaluations.
    stop: async (step: number) =>
      step >= 160 &&
      (await evaluate(`student at step ${step}, validation`, student, validationTasks)).result.accuracy >=
        studentTarget,
  };
  studentCurve = await train('student', student, studentInitial, teacherData, studentSchedule, studentCheckpoint);
  // Kept outside the shipped folders, so a later run can redo only the second phase.
  await writeFolder(coldStudentDir, studentConfig, student, false);
  writeFileSync(
    join(coldStudentDir, '..', 'demo-report.json'),
    JSON.stringify({ curves: { student: studentCurve.map((s) => s.loss) } }),
  );
} else {
  const dir = resolve(opts['student-from']);
  student = new ScratchModel(new CpuBackend(), studentConfig, await loadFolder(dir, studentConfig));
  studentCurve = earlierCurve(dir, 'student', studentSchedule);
  log(`cold-start student: loaded from ${dir}`);
}
await evaluate('cold-start student', student, testTasks);
const coldTensors = await student.tensors();
const slipCurve = await train('student habits', student, coldTensors, studentData, slipSchedule);
const studentEval = await evaluate('student', student, testTasks);

// 4. SOD's situation in the student's own rollouts of the held-out problems, greedy and sampled
//    at temperature 1, each scored by both models as a training update scores them.
const studentPolicy = new EnginePolicy('student', student.model);
const teacherPolicy = new EnginePolicy('teacher', teacher.model);
async function situation(name: string, trajectories: Trajectory[]) {
  const weightings: StepWeighting[] = [];
  for (const t of trajectories) {
    await scoreTrajectory(t, studentPolicy, teacherPolicy);
    weightings.push(
      weighSteps({
        mask: t.mask,
        studentLogprobs: t.student_logprobs ?? [],
        teacherLogprobs: t.teacher_logprobs ?? [],
      }),
    );
  }
  const readings = trajectories.map((t, i) => readSituation(t, weightings[i]));
  const summary = {
    ...summarize(trajectories),
    outcomes: countOutcomes(trajectories),
    situation: summarizeSituations(readings),
  };
  log(`student ${name}: ${JSON.stringify(summary.situation)}`);
  return { summary, readings, weightings };
}
const greedySituation = await situation('greedy', studentEval.trajectories);
const sampled = await sampleGroups({
  tasks: testTasks,
  groupSize: 1,
  policy: studentPolicy,
  chat,
  sandbox,
  sampling: { ...defaultSampling, temperature: 1 },
  limits: evalLimits,
  group: (task) => task.id,
  seed: (i) => 1000 + i,
  session: (i) => `sampled-${i}`,
});
const sampledSituation = await situation('at temperature 1', sampled);
sandbox.dispose();

// The inspector's sample: the sampled rollout whose w_k dips deepest and comes back highest.
const sampleIndex = sampledSituation.readings
  .map((r, i) => ({ r, i, w: sampledSituation.weightings[i] }))
  .filter(({ r }) => r?.dipsAndReturnsToFull === true && r.bad.kind === 'tool error')
  .sort(
    (a, b) =>
      Math.max(...b.w.runningProducts) / Math.min(...b.w.weights) -
      Math.max(...a.w.runningProducts) / Math.min(...a.w.weights),
  )[0]?.i;
if (sampleIndex === undefined) throw new Error('no sampled rollout dips and recovers: nothing to ship as the sample');
const sample = sampled[sampleIndex];
// Top-5 next tokens of each model where the student wrote (none on the inserted tool output).
const tops = async (model: DemoModel) =>
  (await topAlternatives(new Decoder(model.model), sample.prompt_ids, sample.response_ids, 5)).map((position, t) =>
    sample.mask[t] === 1 ? position.map(([id, logprob]): [string, number] => [chat.decode([id]), logprob]) : [],
  );
const sampleRecord = {
  ...sample,
  source: `a temperature-1 rollout of the bundled demo student (held-out problem ${sample.task_id}), scored by the bundled teacher; written by npm run make:demo-models`,
  tokens: sample.response_ids.map((id) => chat.decode([id])),
  student_top: await tops(student),
  teacher_top: await tops(teacher),
};

// 4. The folders, the teacher's ONNX export, and the report.
async function writeFolder(dir: string, config: Qwen3Config, model: DemoModel, onnx: boolean): Promise<void> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const tensors = await model.tensors();
  for (const [file, content] of Object.entries(modelFolderFiles({ config, tensors, tokenizer })))
    writeFileSync(join(dir, file), content);
  if (onnx) {
    mkdirSync(join(dir, 'onnx'));
    writeFileSync(
      join(dir, 'onnx/model.onnx'),
      await qwen3ToOnnx(qwen3SizeFields(config), (n) => tensors.get(n) ?? new Float32Array(0)),
    );
  }
  log(`wrote ${dir}`);
}
await writeFolder(join(outRoot, 'tiny-qwen3-teacher'), teacherConfig, teacher, true);
await writeFolder(join(outRoot, 'tiny-qwen3-student'), studentConfig, student, false);
const report = {
  seconds: (performance.now() - started) / 1000,
  vocab_size: vocabSize,
  eval: { tasks: 'public/tasks/arithmetic-test.jsonl', n: testTasks.length, greedy: true, limits: evalLimits },
  teacher: {
    config: qwen3ConfigJson(teacherConfig),
    schedule: teacherSchedule,
    examples: teacherData.length,
    final_loss: teacherCurve.at(-1)?.loss,
    ...teacherEval.result,
  },
  student: {
    config: qwen3ConfigJson(studentConfig),
    schedule: studentSchedule,
    habits_schedule: slipSchedule,
    slip_rate: slipRate,
    slipped_examples: slipped,
    examples: studentData.length,
    steps: studentCurve.length,
    habits_steps: slipCurve.length,
    final_loss: studentCurve.at(-1)?.loss,
    target_validation_accuracy: studentTarget,
    ...studentEval.result,
  },
  situation: {
    about:
      'rollouts of the student on the held-out problems with a bad tool step (an error, or a result that is not the answer) followed by another assistant step; d_1 and the mean d_k after the bad observation, and how many have the SOD weight w_k dip below 1 and come back up (and how many back to 1 or more)',
    greedy: greedySituation.summary,
    temperature_1: sampledSituation.summary,
  },
  curves: {
    teacher: teacherCurve.map((s) => s.loss),
    student: studentCurve.map((s) => s.loss),
    student_habits: slipCurve.map((s) => s.loss),
  },
};
writeFileSync(join(outRoot, 'demo-report.json'), JSON.stringify(report, null, 1) + '\n');
writeFileSync(join(root, 'public/samples/drift-recovery.jsonl'), JSON.stringify(sampleRecord) + '\n');
rmSync(scratch, { recursive: true, force: true });
log(`done in ${(report.seconds / 60).toFixed(1)} min`);
