import { mkdir, writeFile } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import type { LogprobScorer } from '../../core/policy';
import { evaluateGreedy, summarize } from '../../agent/evaluate';
import { RunControl, runTraining } from '../../agent/training/run';
import { rolloutLimits, trainingPlan } from '../../agent/training/settings';
import { runUpdate, type UpdateMetrics } from '../../agent/update';
import { EnginePolicy, EngineScorer } from '../../engine/inference';
import { initLoraParams, loraLayout } from '../../engine/lora';
import { createLoraState } from '../../engine/lora-state';
import { exportPeft } from '../../engine/peft';
import { defaultAdamW, LoraTrainer } from '../../engine/train';
import { exportDtypes, type ExportDtype } from '../../models/onnx/dtypes';
import { usesTeacher } from '../../sod/advantages';
import { createNodeSandbox } from '../../tools/node-sandbox';
import { choiceOption, parseOptions, UsageError, type CliCommand } from '../command';
import { chatFormatFor, readTasks, thinkingOptionHelp, thinkingOptionSpec } from '../agent-setup';
import { backendOptionHelp, backendOptionSpec, loadModelWithAdapter, withBackend } from '../engine-setup';
import { writeJsonLine } from '../jsonl';
import { checkPair, modelFolder, modelSourceHelp, modelSourceOptionSpec } from '../model-source';
import { trainOptionHelp, trainOptionSpec, trainOptionsFrom } from '../train-options';

const help = `Usage: sodp train --student DIR --teacher DIR --tasks FILE --out DIR [options]

Runs the whole loop N times: the student samples G trajectories per prompt with the Python
tool, the teacher scores every token, step weights and advantages come from src/sod, and
the student's LoRA adapter takes PPO steps (epochs × mini-batches) on the dual-clip loss.
Defaults are the playground's Training form's. Writes to --out: metrics.jsonl (one line per
update), trajectories.jsonl (every scored trajectory, readable by 'sodp weights'),
evaluations.jsonl (with --eval-tasks: one line per held-out evaluation) and adapter/ (a PEFT
adapter folder).

${trainOptionHelp}
  --teacher-backend engine|onnx   how the teacher runs (default engine)
  --onnx-dtype fp32|fp16|q4       with onnx: which file of the teacher's onnx/ folder
                                  (model.onnx, model_fp16.onnx, model_q4.onnx; default fp32)
${backendOptionHelp}
  --cache-dir DIR     the Hugging Face cache for Hub ids
${thinkingOptionHelp}
  -h, --help          show this help

${modelSourceHelp}`;

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
      'teacher-backend': { type: 'string' },
      'onnx-dtype': { type: 'string' },
      ...modelSourceOptionSpec,
      ...thinkingOptionSpec,
      help: { type: 'boolean', short: 'h' },
      ...trainOptionSpec,
      ...backendOptionSpec,
    });
    if (values.help) {
      io.stdout.write(help + '\n');
      return 0;
    }
    const { settings, alpha, targets, topP, topK, evalTasksFile } = trainOptionsFrom(values);
    const { method } = settings;
    if (values.student === undefined || values.tasks === undefined || values.out === undefined)
      throw new UsageError('--student DIR, --tasks FILE and --out DIR are required');
    if (usesTeacher(method) && values.teacher === undefined)
      throw new UsageError(`method ${method} needs --teacher DIR`);
    const log = (line: string) => io.stderr.write(`${line}\n`);
    const studentDir = await modelFolder(values.student, values['cache-dir'], log);
    const teacherDir =
      values.teacher === undefined ? undefined : await modelFolder(values.teacher, values['cache-dir'], log);
    if (teacherDir !== undefined) await checkPair(studentDir, teacherDir);
    const outDir = values.out;
    const teacherBackend = choiceOption(
      'teacher-backend',
      values['teacher-backend'],
      ['engine', 'onnx'] as const,
      'engine',
    );
    const onnxDtype = choiceOption<ExportDtype>('onnx-dtype', values['onnx-dtype'], exportDtypes, 'fp32');
    if (values['onnx-dtype'] !== undefined && teacherBackend !== 'onnx')
      throw new UsageError('--onnx-dtype applies to --teacher-backend onnx only');
    const tasks = await readTasks(values.tasks);
    if (tasks.length === 0) throw new UsageError(`${values.tasks} holds no tasks`);
    const heldOut = evalTasksFile === undefined ? [] : await readTasks(evalTasksFile);
    const plan = trainingPlan(settings, heldOut);
    plan.update.sampling = { ...plan.update.sampling, topP, topK };
    const limits = rolloutLimits(settings);
    const chat = await chatFormatFor(studentDir, values.thinking);
    await mkdir(outDir, { recursive: true });
    const metricsOut = createWriteStream(join(outDir, 'metrics.jsonl'));
    const trajectoriesOut = createWriteStream(join(outDir, 'trajectories.jsonl'));
    const evaluationsOut = createWriteStream(join(outDir, 'evaluations.jsonl'));
    const sandbox = createNodeSandbox();
    try {
      await withBackend(values, log, {
        run: async (backend) => {
          const { model: student } = await loadModelWithAdapter(backend, studentDir);
          const layout = loraLayout(student.config, { rank: settings.loraRank, alpha, targets });
          const lora = createLoraState(backend, layout, initLoraParams(layout, settings.seed));
          const trainer = new LoraTrainer(student, lora, { ...defaultAdamW, lr: settings.learningRate });
          const policy = new EnginePolicy(studentDir, student, lora);
          let teacher: LogprobScorer | undefined;
          if (usesTeacher(method) && teacherDir !== undefined) {
            if (teacherBackend === 'onnx') {
              const { TransformersScorer } = await import('../../models/transformers-scorer');
              // An absolute path is read as a folder, never taken for a Hub id.
              teacher = await TransformersScorer.load(resolve(teacherDir), {
                devices: ['cpu'],
                localFilesOnly: true,
                dtype: onnxDtype,
              });
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
              if (event.kind === 'evaluation') {
                const { when, afterUpdate, summary } = event;
                await writeJsonLine(evaluationsOut, { when, after_update: afterUpdate, ...summary });
                log(
                  `held-out ${when === 'during' ? `after update ${afterUpdate}` : `${when} training`}: ${summary.correct}/${summary.n} right`,
                );
              }
              if (event.kind !== 'update') return;
              const { trajectories, metrics } = event.result;
              for (const t of trajectories) await writeJsonLine(trajectoriesOut, { ...t, update: event.update });
              await writeJsonLine(metricsOut, metrics);
              log(updateLine(metrics, settings.updates));
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
      await Promise.all(
        [metricsOut, trajectoriesOut, evaluationsOut].map((s) => new Promise<void>((resolve) => s.end(resolve))),
      );
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
