import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createWriteStream, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { LogprobScorer } from '../../core/policy';
import { evaluateGreedy, summarize } from '../../agent/evaluate';
import {
  checkCheckpointMatches,
  checkpointOrder,
  checkpointStudent,
  makeCheckpoint,
  type TrainingCheckpoint,
} from '../../agent/training/checkpoint';
import { RunControl, runTraining, type TrainingStart } from '../../agent/training/run';
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
import { checkpointDir, readCheckpoint, trimJsonl, writeCheckpoint } from '../run-folder';

const help = `Usage: sodp train --student DIR --teacher DIR --tasks FILE --out DIR [options]
       sodp train --resume DIR

Runs the whole loop N times: the student samples G trajectories per prompt with the Python
tool, the teacher scores every token, step weights and advantages come from src/sod, and
the student's LoRA adapter takes PPO steps (epochs × mini-batches) on the dual-clip loss.
Defaults are the playground's Training form's. Writes to --out: metrics.jsonl (one line per
update), trajectories.jsonl (every scored trajectory, readable by 'sodp weights'),
evaluations.jsonl (with --eval-tasks: one line per held-out evaluation) and adapter/ (a PEFT
adapter folder). After every update (and the evaluation after it, if one is due) it writes
checkpoint/: the adapter, the optimizer's state, the prompt order and the settings, replaced
whole each time, so a run whose process was killed goes on with --resume.

  --resume DIR        go on with the run in DIR from its checkpoint, with the settings and
                      inputs it was started with (any other option given must agree with
                      them); the lines written after the checkpoint are dropped, and the run
                      ends exactly as it would have ended uninterrupted (on the same backend)

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
      resume: { type: 'string' },
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
    const { help: _help, resume, out, ...given } = values;
    let checkpoint: TrainingCheckpoint | undefined;
    let flags: RunFlags = given;
    const outDir = resume ?? out;
    if (resume !== undefined) {
      if (out !== undefined && resolve(out) !== resolve(resume))
        throw new UsageError(`--out ${out} and --resume ${resume} name different folders; give --resume alone`);
      checkpoint = await readCheckpoint(checkpointDir(resume));
      flags = resumedFlags(checkpoint.inputs, given, join(checkpointDir(resume), 'checkpoint.json'));
    }
    const { settings, alpha, targets, topP, topK, evalTasksFile } = trainOptionsFrom(flags);
    const { method } = settings;
    if (flags.student === undefined || flags.tasks === undefined || outDir === undefined)
      throw new UsageError('--student DIR, --tasks FILE and --out DIR are required (or --resume DIR)');
    if (usesTeacher(method) && flags.teacher === undefined)
      throw new UsageError(`method ${method} needs --teacher DIR`);
    const where = join(checkpointDir(outDir), 'checkpoint.json');
    if (checkpoint !== undefined) {
      checkCheckpointMatches(checkpoint, { settings }, where);
      if (checkpoint.adapter.alpha !== alpha || checkpoint.adapter.targets.join(',') !== targets.join(','))
        throw new UsageError(`${where}: adapter (alpha, targets) differs from the options given`);
    }
    const log = (line: string) => io.stderr.write(`${line}\n`);
    const studentDir = await modelFolder(flags.student, flags['cache-dir'], log);
    const teacherDir =
      flags.teacher === undefined ? undefined : await modelFolder(flags.teacher, flags['cache-dir'], log);
    if (teacherDir !== undefined) await checkPair(studentDir, teacherDir);
    const teacherBackend = choiceOption(
      'teacher-backend',
      flags['teacher-backend'],
      ['engine', 'onnx'] as const,
      'engine',
    );
    const onnxDtype = choiceOption<ExportDtype>('onnx-dtype', flags['onnx-dtype'], exportDtypes, 'fp32');
    if (flags['onnx-dtype'] !== undefined && teacherBackend !== 'onnx')
      throw new UsageError('--onnx-dtype applies to --teacher-backend onnx only');
    const tasks = await readTasks(flags.tasks);
    if (tasks.length === 0) throw new UsageError(`${flags.tasks} holds no tasks`);
    const heldOut = evalTasksFile === undefined ? [] : await readTasks(evalTasksFile);
    const plan = trainingPlan(settings, heldOut);
    plan.update.sampling = { ...plan.update.sampling, topP, topK };
    const limits = rolloutLimits(settings);
    const chat = await chatFormatFor(studentDir, flags.thinking);
    const start: TrainingStart | undefined =
      checkpoint === undefined
        ? undefined
        : { afterUpdate: checkpoint.update, order: checkpointOrder(checkpoint, tasks, where) };
    await mkdir(outDir, { recursive: true });
    // A new run in an old folder: the old checkpoint must not outlive the lines it belonged to.
    if (checkpoint === undefined) await rm(checkpointDir(outDir), { recursive: true, force: true });
    else await trimToCheckpoint(outDir, checkpoint.update);
    await mkdir(checkpointDir(outDir), { recursive: true });
    const flagsOut = checkpoint?.inputs ?? recordedFlags(given);
    const mode = checkpoint === undefined ? 'w' : 'a';
    const metricsOut = createWriteStream(join(outDir, 'metrics.jsonl'), { flags: mode });
    const trajectoriesOut = createWriteStream(join(outDir, 'trajectories.jsonl'), { flags: mode });
    const evaluationsOut = createWriteStream(join(outDir, 'evaluations.jsonl'), { flags: mode });
    const sandbox = createNodeSandbox();
    try {
      await withBackend(flags, log, {
        run: async (backend) => {
          const { model: student } = await loadModelWithAdapter(backend, studentDir);
          const layout = loraLayout(student.config, { rank: settings.loraRank, alpha, targets });
          const adamW = { ...defaultAdamW, lr: settings.learningRate };
          const studentId = checkpointStudent(flagsOut.student ?? studentDir, student.config);
          if (checkpoint !== undefined)
            checkCheckpointMatches(
              checkpoint,
              { student: studentId, parameters: layout.size, optimizer: adamW },
              where,
            );
          const lora = createLoraState(
            backend,
            layout,
            checkpoint?.tensors.lora ?? initLoraParams(layout, settings.seed),
          );
          const trainer = new LoraTrainer(student, lora, adamW);
          if (checkpoint !== undefined)
            trainer.loadState({ step: checkpoint.optimizer.step, m: checkpoint.tensors.m, v: checkpoint.tensors.v });
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
              if (event.kind === 'checkpoint') {
                const cp = makeCheckpoint({
                  update: event.update,
                  settings,
                  adapter: { rank: settings.loraRank, alpha, targets },
                  sampling: { topP, topK },
                  optimizer: { settings: adamW, state: await trainer.readState() },
                  lora: Float32Array.from(await backend.read(lora.params, layout.size)),
                  student: studentId,
                  order: event.order,
                  tasks,
                  inputs: flagsOut,
                });
                await writeCheckpoint(checkpointDir(outDir), cp);
              }
              if (event.kind !== 'update') return;
              const { trajectories, metrics } = event.result;
              for (const t of trajectories) await writeJsonLine(trajectoriesOut, { ...t, update: event.update });
              await writeJsonLine(metricsOut, metrics);
              log(updateLine(metrics, settings.updates));
            },
            start,
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

/** The options `sodp train` was called with, but for --out, --resume and --help. */
type RunFlags = Partial<Record<string, string>>;

/** The flags a checkpoint records: every option given, model folders and task files as absolute paths (a resume may run elsewhere). */
function recordedFlags(given: RunFlags): Record<string, string> {
  const recorded: Record<string, string> = {};
  for (const [key, value] of Object.entries(given)) {
    if (value === undefined) continue;
    const path = ['student', 'teacher', 'tasks', 'eval-tasks'].includes(key) && existsSync(value);
    recorded[key] = path ? resolve(value) : value;
  }
  return recorded;
}

/** What the flags make of a run: two sets of flags that define the same run give the same text. */
function runDefinition(flags: RunFlags): string {
  const { 'cache-dir': _cache, ...rest } = flags;
  const paths = recordedFlags(rest);
  return JSON.stringify({
    train: trainOptionsFrom(flags),
    student: paths.student,
    teacher: paths.teacher,
    tasks: paths.tasks,
    teacherBackend: flags['teacher-backend'] ?? 'engine',
    onnxDtype: flags['onnx-dtype'] ?? 'fp32',
    thinking: flags.thinking ?? 'default',
    backend: flags.backend ?? 'default',
    weights: flags.weights ?? 'default',
  });
}

/**
 * The flags of a resumed run: the checkpoint's, with any given now that defines the run the
 * same way (the same value, or a default spelled out); any other is refused, naming it.
 */
function resumedFlags(recorded: Record<string, string>, given: RunFlags, where: string): RunFlags {
  const flags: RunFlags = { ...recorded };
  for (const [key, value] of Object.entries(given)) {
    if (value === undefined || recorded[key] === value) continue;
    if (key !== 'cache-dir' && runDefinition({ ...flags, [key]: value }) !== runDefinition(flags)) {
      const was = recorded[key] === undefined ? 'its default' : `--${key} ${recorded[key]}`;
      throw new UsageError(
        `--${key} ${value} differs from the run's ${was} (${where}, inputs.${key}); leave it out to resume the run as it was started`,
      );
    }
    flags[key] = value;
  }
  return flags;
}

/** Cuts the run's JSONL files back to what the checkpoint after update `update` covers. */
async function trimToCheckpoint(outDir: string, update: number): Promise<void> {
  const upTo = (line: Record<string, unknown>) => typeof line.update === 'number' && line.update <= update;
  const metrics = await trimJsonl(join(outDir, 'metrics.jsonl'), upTo);
  if (metrics.length !== update)
    throw new Error(
      `${join(outDir, 'metrics.jsonl')} holds ${metrics.length} of the ${update} updates the checkpoint covers: the folder is not the run's own`,
    );
  await trimJsonl(join(outDir, 'trajectories.jsonl'), upTo);
  // 'after' is evaluated again at the end; 'before' and 'during' up to the checkpoint stay.
  await trimJsonl(
    join(outDir, 'evaluations.jsonl'),
    (line) => line.when !== 'after' && typeof line.after_update === 'number' && line.after_update <= update,
  );
}

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
