/**
 * Makes the offline demo pair in public/models/ with the engine, seeded, on the CPU:
 *   1. a byte-level BPE learned from teacher solutions rendered by Qwen3's chat template;
 *   2. the teacher (4 layers, hidden 128) trained from scratch on scripted tool-use
 *      solutions, each run through the real rollout path and Python sandbox;
 *   3. the student (3 layers, hidden 128) cold-started by SFT on the same teacher-style
 *      solutions, stopped once it solves a third of a validation set, so it still makes
 *      the mistakes SOD is about;
 *   4. greedy accuracy of both on the 200 held-out problems of public/tasks/arithmetic-test.jsonl,
 *      how each trajectory ended, an ONNX export of the teacher, and a report.
 *
 *   npm run make:demo-models [-- --out DIR --teacher-steps N --student-steps N --eval N --workers N]
 *   npm run make:demo-models -- --teacher-from public/models/tiny-qwen3-teacher   (redo the student only)
 */
import { mkdirSync, mkdtempSync, openAsBlob, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ChatFormat, loadTokenizer } from '../src/agent/chat';
import { evaluateGreedy, summarize } from '../src/agent/evaluate';
import { countOutcomes } from '../src/agent/outcome';
import { defaultSampling } from '../src/core/policy';
import { runRollout } from '../src/agent/rollout';
import { ScriptedPolicy } from '../src/agent/scripted-policy';
import { generateArithmeticTasks } from '../src/agent/tasks/arithmetic';
import { parseTasks, type Task } from '../src/agent/tasks/task';
import type { Trajectory } from '../src/agent/trajectory';
import { qwen3ConfigJson, qwen3SizeFields, type Qwen3Config } from '../src/engine/config';
import { CpuBackend } from '../src/engine/cpu/backend';
import { EnginePolicy } from '../src/engine/inference';
import { weightNames } from '../src/engine/params';
import { SafetensorsFile } from '../src/engine/safetensors';
import { modelFolderFiles } from '../src/models/demo/model-folder';
import { demoShapes, demoTokenizer, initialDemoWeights } from '../src/models/demo/recipe';
import { teacherTurns } from '../src/models/demo/teacher-solutions';
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
    'student-steps': { type: 'string', default: '600' },
    validation: { type: 'string', default: '40' },
    eval: { type: 'string', default: '200' },
    workers: { type: 'string', default: '2' },
    'teacher-from': { type: 'string' },
  },
});
const int = (name: Exclude<keyof typeof opts, 'teacher-from'>) => {
  const n = Number(opts[name]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${opts[name]}`);
  return n;
};

const started = performance.now();
const log = (line: string) =>
  console.log(`[${((performance.now() - started) / 1000).toFixed(0).padStart(5)} s] ${line}`);
const evalLimits = { maxTurns: 4, maxTurnTokens: 200, maxTotalTokens: 600 };
const root = join(dirname(new URL(import.meta.url).pathname), '..');
const outRoot = resolve(root, opts.out);

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

// 1. The tokenizer, loaded back through AutoTokenizer as every model folder is.
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

// 2. The teacher's data: scripted solutions through the real rollout path and sandbox.
const teacherData: SftExample[] = [];
for (const [i, task] of teacherTasks.entries()) {
  const t = await runRollout({
    task,
    group: task.id,
    policy: new ScriptedPolicy(chat.tokenizer, teacherTurns(task)),
    recordLogprobs: false,
    chat,
    sandbox,
    sampling: defaultSampling,
    session: `data-${i}`,
  });
  if (!t.correct || t.tool_calls[0]?.output.trim() !== task.answer)
    throw new Error(
      `the scripted solution of ${task.id} (${task.question}) does not compute ${task.answer}: ${t.tool_calls[0]?.output ?? ''}${t.tool_calls[0]?.error ?? ''}`,
    );
  teacherData.push(sft(t));
}
const meanLength = teacherData.reduce((n, x) => n + x.promptIds.length + x.responseIds.length, 0) / teacherData.length;
log(`teacher data: ${teacherData.length} solutions, ${meanLength.toFixed(0)} tokens each on average`);

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
  const file = await SafetensorsFile.open(
    await openAsBlob(join(dir, 'model.safetensors')),
    join(dir, 'model.safetensors'),
  );
  const tensors = new Map(
    await Promise.all(weightNames(teacherConfig).map(async ({ name }) => [name, await file.read(name)] as const)),
  );
  teacher = new ScratchModel(new CpuBackend(), teacherConfig, tensors);
  const previous: unknown = JSON.parse(readFileSync(join(dir, '..', 'demo-report.json'), 'utf8'));
  const curve =
    typeof previous === 'object' &&
    previous !== null &&
    'curves' in previous &&
    typeof previous.curves === 'object' &&
    previous.curves !== null &&
    'teacher' in previous.curves &&
    Array.isArray(previous.curves.teacher)
      ? previous.curves.teacher
      : [];
  teacherCurve = curve.map((loss: unknown, i) => ({
    step: i + 1,
    loss: Number(loss),
    gradNorm: NaN,
    lr: learningRate(i, teacherSchedule),
    tokens: 0,
    seconds: 0,
  }));
  log(`teacher: loaded from ${dir}`);
}
const teacherEval = await evaluate('teacher', teacher, testTasks);

// 3. The student: three quarters of the teacher's depth, cold-started by SFT on the same teacher-style
//    solutions, and trained only until it solves a third of a validation set (never the
//    test set), so it still makes the mistakes SOD is about.
const studentConfig: Qwen3Config = { ...demoShapes.student, vocabSize };
const studentSchedule: ScratchTraining = { steps: int('student-steps'), batchSize: 16, lr: 3e-3, warmup: 30, seed: 2 };
const studentTarget = 1 / 3;
const studentInitial = initialDemoWeights(studentConfig, 2);
const student = new ScratchModel(new CpuBackend(), studentConfig, studentInitial);
const studentCheckpoint = {
  every: 40,
  // Before step 160 it cannot have learned to copy numbers yet: skip those evaluations.
  stop: async (step: number) =>
    step >= 160 &&
    (await evaluate(`student at step ${step}, validation`, student, validationTasks)).result.accuracy >= studentTarget,
};
const studentCurve = await train('student', student, studentInitial, teacherData, studentSchedule, studentCheckpoint);
const studentEval = await evaluate('student', student, testTasks);
sandbox.dispose();

// 4. The folders, the teacher's ONNX export, and the report.
async function writeFolder(name: string, config: Qwen3Config, model: DemoModel, onnx: boolean): Promise<void> {
  const dir = join(outRoot, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const tensors = await model.tensors();
  for (const [file, content] of Object.entries(modelFolderFiles({ config, tensors, tokenizer })))
    writeFileSync(join(dir, file), content);
  if (onnx) {
    mkdirSync(join(dir, 'onnx'));
    writeFileSync(
      join(dir, 'onnx/model.onnx'),
      qwen3ToOnnx(qwen3SizeFields(config), (n) => tensors.get(n) ?? new Float32Array(0)),
    );
  }
  log(`wrote ${dir}`);
}
await writeFolder('tiny-qwen3-teacher', teacherConfig, teacher, true);
await writeFolder('tiny-qwen3-student', studentConfig, student, false);
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
    examples: teacherData.length,
    steps: studentCurve.length,
    final_loss: studentCurve.at(-1)?.loss,
    target_validation_accuracy: studentTarget,
    ...studentEval.result,
  },
  curves: { teacher: teacherCurve.map((s) => s.loss), student: studentCurve.map((s) => s.loss) },
};
writeFileSync(join(outRoot, 'demo-report.json'), JSON.stringify(report, null, 1) + '\n');
rmSync(scratch, { recursive: true, force: true });
log(`done in ${(report.seconds / 60).toFixed(1)} min`);
