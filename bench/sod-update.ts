/**
 * One SOD update of the demo pair on the CPU backend (8 prompts × 4 samples, the Training
 * form's other defaults), as the playground and `sodp train` run it, against the same update
 * without the shared prompt: every trajectory scored by a full pass through each model, and the
 * optimizer steps run each sequence in full (`sharedPrefix: 'none'`). The seeds are the same, so
 * both roll out the same trajectories; the phases' times come from the update's own metrics.
 *
 *   npm run bench -- sod-update
 *   SOD_UPDATE_PROMPTS=4 SOD_UPDATE_RUNS=1 npm run bench -- sod-update
 */
import { readFileSync } from 'node:fs';
import { ChatFormat } from '../src/agent/chat';
import { loadTokenizer } from '../src/agent/load-tokenizer';
import { parseTasks } from '../src/agent/tasks/task';
import { defaultThinking, thinkingOptions } from '../src/agent/thinking';
import { defaultTrainingSettings, trainingPlan } from '../src/agent/training/settings';
import { runUpdate, type UpdateMetrics, type UpdateModels } from '../src/agent/update';
import type { LogprobScorer } from '../src/core/policy';
import { CpuBackend } from '../src/engine/cpu/backend';
import { EnginePolicy, EngineScorer } from '../src/engine/inference';
import { loadQwen3 } from '../src/engine/load';
import { initLoraParams, loraLayout } from '../src/engine/lora';
import { createLoraState } from '../src/engine/lora-state';
import type { LoraState, Qwen3Model } from '../src/engine/model';
import { folderFiles } from '../src/engine/node-files';
import { allLoraTargets } from '../src/engine/params';
import { defaultAdamW, LoraTrainer } from '../src/engine/train';
import { createNodeSandbox } from '../src/tools/node-sandbox';
import { median, type BenchReport } from './report';

const prompts = Number(process.env.SOD_UPDATE_PROMPTS ?? 8);
const runs = Number(process.env.SOD_UPDATE_RUNS ?? 3);
const student = 'public/models/tiny-qwen3-student';
const teacher = 'public/models/tiny-qwen3-teacher';

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

export async function benchSodUpdate(report: BenchReport): Promise<void> {
  const backend = new CpuBackend();
  const studentModel = await loadQwen3(backend, folderFiles(student));
  const teacherModel = await loadQwen3(backend, folderFiles(teacher));
  const chat = new ChatFormat(await loadTokenizer(student), thinkingOptions(defaultThinking));
  const tasks = parseTasks(readFileSync('public/tasks/arithmetic-train.jsonl', 'utf8')).slice(0, prompts);
  const settings = { ...defaultTrainingSettings, promptsPerUpdate: prompts };
  const { update } = trainingPlan(settings, []);
  const sandbox = createNodeSandbox();

  const models = (shared: boolean): UpdateModels => {
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
  const time = async (shared: boolean): Promise<UpdateMetrics> =>
    (await runUpdate(1, tasks, models(shared), chat, sandbox, update)).metrics;

  console.log(
    `demo pair on the CPU: one SOD update of ${prompts} prompts × ${update.groupSize} samples; median of ${runs}`,
  );
  try {
    const results: Record<'old' | 'new', UpdateMetrics[]> = { old: [], new: [] };
    await time(true); // warm-up
    for (let r = 0; r < runs; r++) {
      results.old.push(await time(false));
      results.new.push(await time(true));
    }
    const same =
      results.old[0].meanReward === results.new[0].meanReward &&
      results.old[0].generatedTokens === results.new[0].generatedTokens;
    console.log(
      `the same trajectories both ways: ${same ? 'yes' : 'NO'} (${results.new[0].generatedTokens} generated tokens)`,
    );
    for (const phase of ['rollout', 'score', 'train', 'total'] as const) {
      const old = median(results.old.map((m) => m.seconds[phase]));
      const now = median(results.new.map((m) => m.seconds[phase]));
      console.log(
        `${phase.padEnd(8)} without the shared prompt ${old.toFixed(2).padStart(7)} s   with it ${now.toFixed(2).padStart(7)} s   new ÷ old ${(now / old).toFixed(2)}`,
      );
      report.results.push({ name: `${phase}, without the shared prompt`, value: old, unit: 's' });
      report.results.push({ name: `${phase}, with the shared prompt`, value: now, unit: 's', ratio: now / old });
    }
  } finally {
    sandbox.dispose();
  }
}
