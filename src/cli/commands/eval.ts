import { evaluateGreedy, summarize } from '../../agent/evaluate';
import { countOutcomes } from '../../agent/outcome';
import { defaultRolloutLimits } from '../../agent/rollout';
import { EnginePolicy } from '../../engine/inference';
import { createNodeSandbox } from '../../tools/node-sandbox';
import { numberOption, parseOptions, UsageError, type CliCommand } from '../command';
import { chatFormatFor, readTasks, thinkingOptionHelp, thinkingOptionSpec } from '../agent-setup';
import { modelFolder, modelSourceHelp, modelSourceOptionSpec } from '../model-source';
import { backendOptionHelp, backendOptionSpec, loadModelWithAdapter, withBackend } from '../engine-setup';

const help = `Usage: sodp eval --model DIR --tasks FILE [--n N] [--adapter DIR] [--max-turns N] [--max-tokens N]

Solves the first N tasks greedily (temperature 0) with the Python tool and prints the
accuracy as JSON: {"model", "adapter", "tasks", "n", "correct", "accuracy", "mean_reward",
"mean_tool_calls", "stop_reasons", "outcomes"} (outcomes: how many ended right, or with which
first mistake: no tool call, tool error, wrong tool result, miscopied answer, no answer).

  --n N           how many tasks (default all)
  --adapter DIR   a PEFT LoRA adapter folder
  --cache-dir DIR the Hugging Face cache for Hub ids
${thinkingOptionHelp}
  --max-turns N   assistant turns per problem (default ${defaultRolloutLimits.maxTurns})
  --max-tokens N  new tokens per turn (default ${defaultRolloutLimits.maxTurnTokens})
${backendOptionHelp}
  -h, --help      show this help

${modelSourceHelp}`;

export const evalCommand: CliCommand = {
  name: 'eval',
  summary: 'greedy accuracy of a model (and adapter) on a task file, as JSON',
  help,
  async run(argv, io) {
    const { values } = parseOptions(argv, {
      model: { type: 'string' },
      adapter: { type: 'string' },
      tasks: { type: 'string' },
      n: { type: 'string' },
      'max-turns': { type: 'string' },
      'max-tokens': { type: 'string' },
      ...modelSourceOptionSpec,
      ...thinkingOptionSpec,
      ...backendOptionSpec,
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      io.stdout.write(help + '\n');
      return 0;
    }
    if (values.model === undefined || values.tasks === undefined)
      throw new UsageError('--model DIR and --tasks FILE are required');
    const log = (line: string) => io.stderr.write(`${line}\n`);
    const modelDir = await modelFolder(values.model, values['cache-dir'], log);
    const tasks = (await readTasks(values.tasks)).slice(0, numberOption('n', values.n, Infinity));
    const limits = {
      maxTurns: numberOption('max-turns', values['max-turns'], defaultRolloutLimits.maxTurns),
      maxTurnTokens: numberOption('max-tokens', values['max-tokens'], defaultRolloutLimits.maxTurnTokens),
    };
    const chat = await chatFormatFor(modelDir, values.thinking);
    const sandbox = createNodeSandbox();
    try {
      const trajectories = await withBackend(values, log, {
        run: async (backend) => {
          const { model, lora } = await loadModelWithAdapter(backend, modelDir, values.adapter);
          const policy = new EnginePolicy(modelDir, model, lora);
          return evaluateGreedy({
            policy,
            chat,
            sandbox,
            tasks,
            limits,
            onResult: (t, i) => log(`[${i + 1}/${tasks.length}] ${t.task_id}: ${t.correct ? 'right' : 'wrong'}`),
          });
        },
      });
      io.stdout.write(
        JSON.stringify({
          model: modelDir,
          adapter: values.adapter ?? null,
          tasks: values.tasks,
          ...summarize(trajectories),
          outcomes: countOutcomes(trajectories),
        }) + '\n',
      );
      return 0;
    } finally {
      sandbox.dispose();
    }
  },
};
