import { mkdir, writeFile } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import type { LogprobScorer } from '../../core/policy';
import { evaluateGreedy, summarize } from '../../agent/evaluate';
import { RunControl, runTraining, type TrainingPlan } from '../../agent/training/run';
import { defaultUpdateSettings, runUpdate, type UpdateMetrics } from '../../agent/update';
import { EnginePolicy, EngineScorer } from '../../engine/inference';
import { initLoraParams, loraLayout } from '../../engine/lora';
import { createLoraState } from '../../engine/lora-state';
import { allLoraTargets, type LoraTarget } from '../../engine/params';
import { exportPeft } from '../../engine/peft';
import { defaultAdamW, LoraTrainer } from '../../engine/train';
import { methods, usesTeacher, type Method } from '../../sod/advantages';
import { createNodeSandbox } from '../../tools/node-sandbox';
import { choiceOption, numberOption, parseOptions, UsageError, type CliCommand } from '../command';
import { chatFormatFor, readTasks, samplingFrom, samplingOptionHelp, samplingOptionSpec } from '../agent-setup';
import { backendOptionHelp, backendOptionSpec, loadModelWithAdapter, withBackend } from '../engine-setup';
import { stepOptionHelp, stepOptionSpec, stepSettingsFrom } from '../step-options';
import { writeJsonLine } from '../jsonl';

const help = `Usage: sodp train --student DIR --teacher DIR --tasks FILE --out DIR [options]

Runs the whole loop N times: the student samples G trajectories per prompt with the Python
tool, the teacher scores every token, step weights and advantages come from src/sod, and
the student's LoRA adapter takes one AdamW step on the PPO loss. Writes to --out:
metrics.jsonl (one line per update), trajectories.jsonl (every scored trajectory, readable
by 'sodp weights') and adapter/ (a PEFT adapter folder).

  --method M       sod (default), opd, grpo (no teacher needed) or distill
  --updates N      updates to run (default 10)
  --prompts P      prompts per update (default 4)
  --group G        samples per prompt (default 4)
  --lr X           AdamW learning rate (default 1e-4)
  --rank R         LoRA rank (default 16); --alpha A (default 2 × rank)
  --targets LIST   comma-separated projections (default all: ${allLoraTargets.join(',')})
  --teacher-backend engine|onnx   how the teacher runs (default engine)
${stepOptionHelp.replace(/ {2}--input FILE.*\n?/, '')}
${samplingOptionHelp}
${backendOptionHelp}
  -h, --help       show this help`;

function isTarget(name: string): name is LoraTarget {
  return allLoraTargets.some((t) => t === name);
}

export const trainCommand: CliCommand = {
  name: 'train',
  summary: 'run SOD (or OPD, GRPO, distill) updates on a student with a teacher; write metrics and the adapter',
  help,
  async run(argv, io) {
    const { values } = parseOptions(argv, {
      student: { type: 'string' },
      teacher: { type: 'string' },
      tasks: { type: 'string' },
      out: { type: 'string' },
      method: { type: 'string' },
      updates: { type: 'string' },
      prompts: { type: 'string' },
      group: { type: 'string' },
      lr: { type: 'string' },
      rank: { type: 'string' },
      alpha: { type: 'string' },
      targets: { type: 'string' },
      'teacher-backend': { type: 'string' },
      ...stepOptionSpec,
      ...samplingOptionSpec,
      ...backendOptionSpec,
    });
    if (values.help) {
      io.stdout.write(help + '\n');
      return 0;
    }
    const method = choiceOption<Method>('method', values.method, methods, 'sod');
    if (values.student === undefined || values.tasks === undefined || values.out === undefined)
      throw new UsageError('--student DIR, --tasks FILE and --out DIR are required');
    if (usesTeacher(method) && values.teacher === undefined)
      throw new UsageError(`method ${method} needs --teacher DIR`);
    const studentDir = values.student;
    const teacherDir = values.teacher;
    const outDir = values.out;
    const updates = numberOption('updates', values.updates, 10);
    const prompts = numberOption('prompts', values.prompts, 4);
    const group = numberOption('group', values.group, 4);
    const rank = numberOption('rank', values.rank, 16);
    const alpha = numberOption('alpha', values.alpha, 2 * rank);
    const lr = numberOption('lr', values.lr, 1e-4);
    const targets = (values.targets ?? allLoraTargets.join(',')).split(',').map((t) => t.trim());
    const badTarget = targets.find((t) => !isTarget(t));
    if (badTarget !== undefined)
      throw new UsageError(`--targets: ${badTarget} is not one of ${allLoraTargets.join(', ')}`);
    const teacherBackend = choiceOption(
      'teacher-backend',
      values['teacher-backend'],
      ['engine', 'onnx'] as const,
      'engine',
    );
    const step = stepSettingsFrom(values);
    const { sampling, limits } = samplingFrom(values, { temperature: 1 });
    const tasks = await readTasks(values.tasks);
    if (tasks.length === 0) throw new UsageError(`${values.tasks} holds no tasks`);
    const chat = await chatFormatFor(studentDir);
    await mkdir(outDir, { recursive: true });
    const metricsOut = createWriteStream(join(outDir, 'metrics.jsonl'));
    const trajectoriesOut = createWriteStream(join(outDir, 'trajectories.jsonl'));
    const sandbox = createNodeSandbox();
    const log = (line: string) => io.stderr.write(`${line}\n`);
    const plan: TrainingPlan = {
      updates,
      promptsPerUpdate: prompts,
      seed: sampling.seed,
      update: { ...defaultUpdateSettings, method, groupSize: group, sampling, limits, step },
      evalTasks: [],
      evalEvery: 0,
    };
    try {
      await withBackend(values.backend, log, {
        run: async (backend) => {
          const { model: student } = await loadModelWithAdapter(backend, studentDir);
          const layout = loraLayout(student.config, { rank, alpha, targets: targets.filter(isTarget) });
          const lora = createLoraState(backend, layout, initLoraParams(layout, sampling.seed));
          const trainer = new LoraTrainer(student, lora, { ...defaultAdamW, lr });
          const policy = new EnginePolicy(studentDir, student, lora);
          let teacher: LogprobScorer | undefined;
          if (usesTeacher(method) && teacherDir !== undefined) {
            if (teacherBackend === 'onnx') {
              const { TransformersScorer } = await import('../../models/transformers-scorer');
              teacher = await TransformersScorer.load(teacherDir, { devices: ['cpu'] });
            } else {
              const { model } = await loadModelWithAdapter(backend, teacherDir);
              teacher = new EngineScorer(teacherDir, model);
            }
          }
          const models = { student: policy, trainer, teacher };
          await runTraining(
            plan,
            tasks,
            {
              update: (u, batch, settings, signal) => runUpdate(u, batch, models, chat, sandbox, settings, { signal }),
              evaluate: async (evalTasks, signal) =>
                summarize(await evaluateGreedy({ policy, chat, sandbox, tasks: evalTasks, limits, signal })),
            },
            new RunControl(),
            async (event) => {
              if (event.kind !== 'update') return;
              const { trajectories, metrics } = event.result;
              for (const t of trajectories) await writeJsonLine(trajectoriesOut, { ...t, update: event.update });
              await writeJsonLine(metricsOut, metrics);
              log(updateLine(metrics, updates));
            },
          );
          const files = exportPeft(layout, Float32Array.from(await backend.read(lora.params, layout.size)), studentDir);
          await mkdir(join(outDir, 'adapter'), { recursive: true });
          await writeFile(
            join(outDir, 'adapter', 'adapter_config.json'),
            JSON.stringify(files['adapter_config.json'], null, 2),
          );
          await writeFile(join(outDir, 'adapter', 'adapter_model.safetensors'), files['adapter_model.safetensors']);
          log(
            `wrote ${join(outDir, 'metrics.jsonl')}, ${join(outDir, 'trajectories.jsonl')} and ${join(outDir, 'adapter')}/`,
          );
        },
      });
      return 0;
    } finally {
      sandbox.dispose();
      await Promise.all([metricsOut, trajectoriesOut].map((s) => new Promise<void>((resolve) => s.end(resolve))));
    }
  },
};

/** One update on stderr: "update 3/10: loss …, reward …, accuracy …%, mean d_k …, mean w_k …, 12.3 s". */
function updateLine(metrics: UpdateMetrics, updates: number): string {
  const steps = metrics.steps
    ? `, mean d_k ${metrics.steps.meanDivergence.toFixed(3)}, mean w_k ${metrics.steps.meanWeight.toFixed(3)}`
    : '';
  return (
    `update ${metrics.update}/${updates}: loss ${metrics.loss.toFixed(4)}, reward ${metrics.meanReward.toFixed(3)}, ` +
    `accuracy ${(100 * metrics.accuracy).toFixed(0)}%${steps}, ${metrics.seconds.total.toFixed(1)} s`
  );
}
