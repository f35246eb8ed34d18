import { createWriteStream } from 'node:fs';
import { defaultSampling } from '../../core/policy';
import { runRollout } from '../../agent/rollout';
import { ScriptedPolicy } from '../../agent/scripted-policy';
import type { Task } from '../../agent/tasks/task';
import type { Trajectory } from '../../agent/trajectory';
import { EnginePolicy } from '../../engine/inference';
import { createNodeSandbox } from '../../tools/node-sandbox';
import { numberOption, parseOptions, UsageError, type CliCommand, type CliIO } from '../command';
import {
  chatFormatFor,
  readTasks,
  samplingFrom,
  samplingOptionHelp,
  samplingOptionSpec,
  thinkingOptionHelp,
  thinkingOptionSpec,
} from '../agent-setup';
import { backendOptionHelp, backendOptionSpec, loadModelWithAdapter, withBackend } from '../engine-setup';
import { readJsonl, writeJsonLine } from '../jsonl';
import { modelFolder, modelSourceHelp, modelSourceOptionSpec } from '../model-source';

const help = `Usage:
  sodp rollout --model DIR --tasks FILE --out FILE [--n N] [--group G] [--adapter DIR] [sampling options]
  sodp rollout --tokenizer DIR --script FILE --tasks FILE --out FILE [--max-turns N]

Runs the tool-integrated agent loop (Qwen3 chat format, Python sandbox) and writes one
trajectory per line in the JSONL that 'sodp weights' reads.

With --model, the engine samples from the model folder (config.json, model.safetensors,
tokenizer files), optionally with a PEFT adapter folder; trajectories carry student_logprobs.

With --script, written assistant turns replay through exactly the same path: each line of
FILE is {"task_id": "…", "turns": ["…</tool_call>", …, "…\\\\boxed{…}"]}; each turn is emitted
followed by <|im_end|>, as a model would. No log-probs are recorded.

  --tasks FILE     task JSONL ({id, question, answer, source})
  --out FILE       where to write the trajectories
  --n N            the first N tasks (default all)
  --group G        samples per task (default 1)
  --adapter DIR    a PEFT LoRA adapter for the model
${samplingOptionHelp}
${backendOptionHelp}
  --cache-dir DIR  the Hugging Face cache for Hub ids
${thinkingOptionHelp}
  -h, --help       show this help

${modelSourceHelp}`;

interface ScriptLine {
  taskId: string;
  turns: string[];
}

async function readScript(path: string, io: CliIO): Promise<ScriptLine[]> {
  const lines: ScriptLine[] = [];
  for await (const line of readJsonl(path, io.stdin)) {
    if (!line.ok) throw new UsageError(`${path} line ${line.lineNumber}: ${line.error}`);
    const { task_id: taskId, turns } = line.value;
    if (typeof taskId !== 'string' && typeof taskId !== 'number')
      throw new UsageError(`${path} line ${line.lineNumber}: task_id is missing`);
    if (!Array.isArray(turns) || turns.length === 0 || !turns.every((t: unknown) => typeof t === 'string'))
      throw new UsageError(`${path} line ${line.lineNumber}: turns must be a non-empty list of strings`);
    lines.push({ taskId: String(taskId), turns: turns.map(String) });
  }
  return lines;
}

export const rolloutCommand: CliCommand = {
  name: 'rollout',
  summary: 'run the agent loop with a model or a script and write trajectory JSONL',
  help,
  async run(argv, io) {
    const { values } = parseOptions(argv, {
      model: { type: 'string' },
      adapter: { type: 'string' },
      tokenizer: { type: 'string' },
      script: { type: 'string' },
      tasks: { type: 'string' },
      out: { type: 'string' },
      n: { type: 'string' },
      group: { type: 'string' },
      ...samplingOptionSpec,
      ...modelSourceOptionSpec,
      ...thinkingOptionSpec,
      ...backendOptionSpec,
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      io.stdout.write(help + '\n');
      return 0;
    }
    if (values.tasks === undefined) throw new UsageError('--tasks FILE is required');
    if (values.out === undefined) throw new UsageError('--out FILE is required');
    if ((values.model === undefined) === (values.script === undefined))
      throw new UsageError('give either --model DIR or --script FILE (with --tokenizer DIR)');
    const tasks = await readTasks(values.tasks);
    const byId = new Map(tasks.map((t) => [t.id, t]));
    const { sampling, limits } = samplingFrom(values, { temperature: 1 });
    const out = createWriteStream(values.out);
    const sandbox = createNodeSandbox();
    const log = (line: string) => io.stderr.write(`${line}\n`);
    const report = (t: Trajectory, i: number, total: number) =>
      log(
        `[${i + 1}/${total}] ${t.task_id}: ${t.stop_reason}, answer ${t.answer ?? '—'} (${t.correct ? 'right' : 'wrong'}), ${t.tool_calls.length} tool call(s), reward ${t.reward}`,
      );
    try {
      if (values.script !== undefined) {
        if (values.tokenizer === undefined)
          throw new UsageError(
            '--script needs --tokenizer DIR (a folder with tokenizer.json and tokenizer_config.json)',
          );
        const chat = await chatFormatFor(values.tokenizer, values.thinking);
        const script = await readScript(values.script, io);
        for (const [i, line] of script.entries()) {
          const task = byId.get(line.taskId);
          if (task === undefined)
            throw new UsageError(`${values.script}: task ${line.taskId} is not in ${values.tasks}`);
          const t = await runRollout({
            task,
            group: task.id,
            policy: new ScriptedPolicy(chat.tokenizer, line.turns),
            recordLogprobs: false,
            chat,
            sandbox,
            sampling: defaultSampling,
            limits,
            session: `script-${i}`,
          });
          await writeJsonLine(out, t);
          report(t, i, script.length);
        }
        return 0;
      }
      const modelDir = await modelFolder(values.model ?? '', values['cache-dir'], log);
      const n = numberOption('n', values.n, tasks.length);
      const group = numberOption('group', values.group, 1);
      const chosen: Task[] = tasks.slice(0, n);
      const chat = await chatFormatFor(modelDir, values.thinking);
      await withBackend(values, log, {
        run: async (backend) => {
          const { model, lora } = await loadModelWithAdapter(backend, modelDir, values.adapter);
          const policy = new EnginePolicy(modelDir, model, lora);
          let i = 0;
          for (const task of chosen) {
            for (let g = 0; g < group; g++, i++) {
              const t = await runRollout({
                task,
                group: task.id,
                policy,
                recordLogprobs: true,
                chat,
                sandbox,
                sampling: { ...sampling, seed: sampling.seed + i },
                limits,
                session: `model-${i}`,
              });
              await writeJsonLine(out, t);
              report(t, i, chosen.length * group);
            }
          }
        },
      });
      return 0;
    } finally {
      sandbox.dispose();
      await new Promise<void>((resolve) => out.end(resolve));
    }
  },
};
