/**
 * One SOD update of the demo pair on the CPU backend (8 prompts × 4 samples, the Training
 * form's other defaults), as the playground and `sodp train` run it, against the update as the
 * engine ran it before: without the shared prompt (every trajectory scored by a full pass
 * through each model, and the optimizer steps run each sequence in full, `sharedPrefix:
 * 'none'`) and with the CPU backend's TypeScript kernels instead of its WebAssembly SIMD ones.
 * A column between them has the shared prompt but the TypeScript kernels, so each change's
 * share shows. The seeds are the same and the kernels give the same doubles, so every way
 * rolls out the same trajectories; the phases' times come from the update's own metrics.
 * A third figure runs the new update as the playground does: the student and the teacher
 * engines each in a worker thread of their own (the page's handlers, wired by the page's
 * connectWorkers), so the teacher scores each trajectory while the student rolls out the next.
 *
 *   npm run bench -- sod-update
 *   SOD_UPDATE_PROMPTS=4 SOD_UPDATE_RUNS=1 npm run bench -- sod-update
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ChatFormat } from '../src/agent/chat';
import { loadTokenizer } from '../src/agent/load-tokenizer';
import { parseTasks } from '../src/agent/tasks/task';
import { defaultThinking, thinkingOptions } from '../src/agent/thinking';
import { defaultTrainingSettings, trainingPlan } from '../src/agent/training/settings';
import { runUpdate, type UpdateMetrics, type UpdateModels } from '../src/agent/update';
import type { LogprobScorer } from '../src/core/policy';
import { nodeWorker } from '../src/core/rpc/node-worker';
import { ManagedWorker } from '../src/core/rpc/worker-client';
import { CpuBackend } from '../src/engine/cpu/backend';
import { jsKernels } from '../src/engine/cpu/kernels/js-kernels';
import type { CpuKernels } from '../src/engine/cpu/kernels/kernels';
import { wasmKernels } from '../src/engine/cpu/kernels/wasm-kernels';
import { EnginePolicy, EngineScorer } from '../src/engine/inference';
import { loadQwen3 } from '../src/engine/load';
import { initLoraParams, loraLayout } from '../src/engine/lora';
import { createLoraState } from '../src/engine/lora-state';
import type { LoraState, Qwen3Model } from '../src/engine/model';
import { folderFiles } from '../src/engine/node-files';
import { allLoraTargets } from '../src/engine/params';
import { defaultAdamW, LoraTrainer } from '../src/engine/train';
import { createNodeSandbox } from '../src/tools/node-sandbox';
import type { ToolSandbox } from '../src/tools/sandbox';
import { connectWorkers } from '../src/workers/connect';
import type { StudentProtocol, TeacherProtocol } from '../src/workers/protocols';
import { median, type BenchReport } from './report';

const prompts = Number(process.env.SOD_UPDATE_PROMPTS ?? 8);
const runs = Number(process.env.SOD_UPDATE_RUNS ?? 3);
const studentFolder = 'public/models/tiny-qwen3-student';
const teacherFolder = 'public/models/tiny-qwen3-teacher';

/** Scores a response with a full pass over prompt and response: no prompt cache. */
function fullPass<T>(name: string, model: Qwen3Model<T>, lora?: LoraState<T>): LogprobScorer {
  return {
    name,
    async scoreTokens(promptIds, responseIds) {
      const all = await model.logprobs([...promptIds, ...responseIds], lora);
      return Float64Array.from(all.subarray(promptIds.length - 1));
    },
  };
}

/** The playground's student and teacher engine workers as Node threads, the demo pair loaded on the CPU. */
async function playgroundWorkers(sandbox: ToolSandbox) {
  const student = new ManagedWorker<StudentProtocol>('student engine', () =>
    nodeWorker(new URL('./workers/student-main.ts', import.meta.url)),
  );
  const teacher = new ManagedWorker<TeacherProtocol>('teacher engine', () =>
    nodeWorker(new URL('./workers/teacher-main.ts', import.meta.url)),
  );
  const source = (folder: string) => ({ url: resolve(folder), name: folder.split('/').pop() ?? folder });
  await student.call('load', { source: source(studentFolder), backend: 'cpu' });
  await teacher.call('load', { source: source(teacherFolder), backend: 'cpu' });
  const disconnect = await connectWorkers(student, teacher, sandbox);
  return {
    student,
    close() {
      disconnect();
      student.dispose();
      teacher.dispose();
    },
  };
}

/** The demo pair on a CPU backend with these kernels. */
async function demoPair(kernels: CpuKernels) {
  const backend = new CpuBackend(Float32Array, kernels);
  return {
    backend,
    studentModel: await loadQwen3(backend, folderFiles(studentFolder)),
    teacherModel: await loadQwen3(backend, folderFiles(teacherFolder)),
  };
}

export async function benchSodUpdate(report: BenchReport): Promise<void> {
  const simd = wasmKernels();
  if (simd === undefined) throw new Error('this runtime has no WebAssembly SIMD');
  const pairs = { simd: await demoPair(simd), js: await demoPair(jsKernels) };
  const chat = new ChatFormat(await loadTokenizer(studentFolder), thinkingOptions(defaultThinking));
  const tasks = parseTasks(readFileSync('public/tasks/arithmetic-train.jsonl', 'utf8')).slice(0, prompts);
  const settings = { ...defaultTrainingSettings, promptsPerUpdate: prompts };
  const { update } = trainingPlan(settings, []);
  const sandbox = createNodeSandbox();

  const models = (shared: boolean, kernels: keyof typeof pairs): UpdateModels => {
    const { backend, studentModel, teacherModel } = pairs[kernels];
    const layout = loraLayout(studentModel.config, {
      rank: settings.loraRank,
      alpha: 2 * settings.loraRank,
      targets: allLoraTargets,
    });
    const lora = createLoraState(backend, layout, initLoraParams(layout, settings.seed));
    const trainer = new LoraTrainer(
      studentModel,
      lora,
      { ...defaultAdamW, lr: settings.learningRate },
      {
        sharedPrefix: shared ? 'exact' : 'none',
      },
    );
    const policy = new EnginePolicy('student', studentModel, lora);
    if (shared) return { student: policy, trainer, teacher: new EngineScorer('teacher', teacherModel) };
    const scorer = fullPass('student', studentModel, lora);
    return {
      // Rolls out as the policy does; scores without the shared prompt.
      student: { ...scorer, contextLength: policy.contextLength, generate: (request) => policy.generate(request) },
      trainer,
      teacher: fullPass('teacher', teacherModel),
    };
  };
  const time = async (shared: boolean, kernels: keyof typeof pairs): Promise<UpdateMetrics> =>
    (await runUpdate(1, tasks, models(shared, kernels), chat, sandbox, update)).metrics;

  console.log(
    `demo pair on the CPU: one SOD update of ${prompts} prompts × ${update.groupSize} samples; median of ${runs}`,
  );
  const workers = await playgroundWorkers(sandbox);
  const inWorkers = async (): Promise<UpdateMetrics> => {
    // A fresh adapter each run, initialized as the in-thread runs' (same seed, rank and scale).
    await workers.student.call('newAdapter', {
      rank: settings.loraRank,
      alpha: 2 * settings.loraRank,
      learningRate: settings.learningRate,
      seed: settings.seed,
    });
    return (await workers.student.call('update', { update: 1, tasks, settings: update })).metrics;
  };
  try {
    const ways = ['old', 'shared', 'new', 'workers'] as const;
    const results: Record<(typeof ways)[number], UpdateMetrics[]> = { old: [], shared: [], new: [], workers: [] };
    await time(true, 'simd'); // warm-up
    await inWorkers();
    for (let r = 0; r < runs; r++) {
      results.old.push(await time(false, 'js'));
      results.shared.push(await time(true, 'js'));
      results.new.push(await time(true, 'simd'));
      results.workers.push(await inWorkers());
    }
    const same = (a: UpdateMetrics, b: UpdateMetrics) =>
      a.meanReward === b.meanReward && a.generatedTokens === b.generatedTokens;
    const allSame = ways.every((way) => same(results[way][0], results.old[0]));
    console.log(
      `the same trajectories every way: ${allSame ? 'yes' : 'NO'} (${results.new[0].generatedTokens} generated tokens)`,
    );
    console.log(
      'old: no shared prompt, TypeScript kernels; shared: the shared prompt, TypeScript kernels; new: the shared prompt, WebAssembly SIMD kernels',
    );
    const cell = (seconds: number, old: number) =>
      `${seconds.toFixed(2).padStart(7)} s ${(seconds / old).toFixed(2).padStart(5)}`;
    console.log(
      `${'phase'.padEnd(8)} ${'old'.padStart(9)} ${'shared ÷ old'.padStart(15)} ${'new ÷ old'.padStart(15)} ${'in workers ÷ old'.padStart(17)}`,
    );
    for (const phase of ['rollout', 'score', 'train', 'total'] as const) {
      const [old, shared, now, threads] = ways.map((k) => median(results[k].map((m) => m.seconds[phase])));
      console.log(
        `${phase.padEnd(8)} ${old.toFixed(2).padStart(7)} s ${cell(shared, old)} ${cell(now, old)}  ${cell(threads, old)}`,
      );
      report.results.push({
        name: `${phase}, old: without the shared prompt, TypeScript kernels`,
        value: old,
        unit: 's',
      });
      report.results.push({
        name: `${phase}, with the shared prompt, TypeScript kernels`,
        value: shared,
        unit: 's',
        ratio: shared / old,
      });
      report.results.push({ name: `${phase}, with the shared prompt`, value: now, unit: 's', ratio: now / old });
      report.results.push({
        name: `${phase}, with the shared prompt, in the playground's worker threads`,
        value: threads,
        unit: 's',
        ratio: threads / old,
      });
    }
  } finally {
    workers.close();
    sandbox.dispose();
  }
}
