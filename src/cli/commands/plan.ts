import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fitMemory } from '../../agent/training/memory-fit';
import { planPromptTokens, workloadOf } from '../../agent/training/settings';
import { formatBytes, parseByteSize } from '../../core/format-bytes';
import { parseJsonFile } from '../../core/json';
import { parseQwen3Config } from '../../engine/config';
import { planMemory, type MemoryPlan } from '../../engine/memory-plan';
import { storageForCheckpoint } from '../../engine/weight-format';
import { choiceOption, numberOption, parseOptions, UsageError, type CliCommand } from '../command';
import { weightFormats } from '../engine-setup';
import { modelFolder, modelSourceHelp, modelSourceOptionSpec } from '../model-source';
import { trainOptionHelp, trainOptionSpec, trainOptionsFrom } from '../train-options';

/** WebGPU's default limits, what a device has unless the engine asks for more. */
const defaultLimits = { maxStorageBufferBindingSize: 128 << 20, maxBufferSize: 256 << 20 };

const help = `Usage: sodp plan --model DIR|ID [--as student|teacher] [--prompt-tokens N] [training options]

Prints the memory the engine would take for the model, by part (weights, KV caches,
activations and scratch, the shared prompt, LoRA, AdamW state), before loading anything: the
engine's own code runs one rollout, scoring and (for a student) one training step of the
given settings on a backend that only counts bytes. Reads config.json only.

  --model DIR|ID      a Qwen3 model folder or Hub id (only its config and tokenizer are fetched)
  --as ROLE           student (default: trains a LoRA adapter) or teacher (scores only)
  --prompt-tokens N   tokens of the longest prompt (default ${planPromptTokens})
  --weights F         f32 (default), f16 or bf16: how WebGPU stores the matrices (f16 where
                      the adapter has shader-f16, else bf16, unless sodp's --weights says
                      otherwise; bf16 halves only a checkpoint saved in bf16)
  --memory SIZE       the memory there is (e.g. 8GB, 512MB): when the plan does not fit, says
                      which part is too big and the largest settings that fit (a student)
  --cache-dir DIR     the Hugging Face cache for Hub ids
  -h, --help          show this help

Training options (the same as sodp train's; the ones that matter here are the batch, the
turns and the rank):
${trainOptionHelp}

${modelSourceHelp}`;

export const planCommand: CliCommand = {
  name: 'plan',
  summary: 'the memory a model would take in the engine, by part, before loading it',
  help,
  async run(argv, io) {
    const { values } = parseOptions(argv, {
      model: { type: 'string' },
      as: { type: 'string' },
      'prompt-tokens': { type: 'string' },
      memory: { type: 'string' },
      weights: { type: 'string' },
      ...trainOptionSpec,
      ...modelSourceOptionSpec,
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      io.stdout.write(help + '\n');
      return 0;
    }
    if (values.model === undefined) throw new UsageError('--model DIR is required');
    const role = choiceOption('as', values.as, ['student', 'teacher'] as const, 'student');
    const log = (line: string) => io.stderr.write(`${line}\n`);
    const folder = await modelFolder(values.model, values['cache-dir'], log, true);
    const configPath = join(folder, 'config.json');
    const config = parseQwen3Config(parseJsonFile(await readFile(configPath, 'utf8'), configPath), configPath);
    const { settings, alpha, targets } = trainOptionsFrom(values);
    const workload = workloadOf(settings, numberOption('prompt-tokens', values['prompt-tokens'], planPromptTokens));
    const lora = role === 'student' ? { rank: settings.loraRank, alpha, targets } : undefined;
    const weights = storageForCheckpoint(
      { format: choiceOption('weights', values.weights, weightFormats, 'f32') },
      config.torchDtype,
    );
    const plan = await planMemory(config, workload, lora, weights);
    io.stdout.write(report(values.model, role, workload, plan, weights.format));
    if (values.memory === undefined) return 0;
    const budget = parseSize(values.memory);
    if (plan.totalBytes <= budget) {
      io.stdout.write(`\nfits in ${formatBytes(budget)}\n`);
      return 0;
    }
    io.stdout.write(
      `\ndoes not fit in ${formatBytes(budget)}: ${plan.parts[0].part} take the most (${formatBytes(plan.parts[0].bytes)})\n`,
    );
    if (lora === undefined) return 1;
    const fit = await fitMemory(config, settings, { targets }, workload.promptTokens, budget, weights);
    io.stdout.write(
      fit.fits
        ? `fits with ${fit.changes.join(', ')}: ${formatBytes(fit.plan.totalBytes)}\n`
        : `does not fit even with ${fit.changes.join(', ')} (${formatBytes(fit.plan.totalBytes)}): ${fit.why}\n`,
    );
    return fit.fits ? 0 : 1;
  },
};

function report(
  model: string,
  role: string,
  w: ReturnType<typeof workloadOf>,
  plan: MemoryPlan,
  weights: string,
): string {
  const lines = [
    `${model} as ${role}: prompts of ${w.promptTokens} tokens, trajectories of ${w.responseTokens} more, turns of ${w.turnTokens}${role === 'student' ? `, ${w.sequencesPerStep} sequences per optimizer step` : ''}`,
    '',
    ...plan.parts.map(
      (p) =>
        `  ${(p.part === 'weights' ? `weights (${weights})` : p.part).padEnd(26)}${formatBytes(p.bytes).padStart(10)}`,
    ),
    `  ${'total'.padEnd(26)}${formatBytes(plan.totalBytes).padStart(10)}   (at most ${formatBytes(plan.peakBytes)} at once)`,
    '',
    `largest tensor: ${formatBytes(plan.largestTensorBytes)}; the embedding and LM head: ${formatBytes(plan.vocabularyMatrixBytes)} (split by rows on WebGPU above a binding)`,
  ];
  if (plan.largestTensorBytes > defaultLimits.maxStorageBufferBindingSize)
    lines.push(
      `  above WebGPU's default limits (${formatBytes(defaultLimits.maxStorageBufferBindingSize)} a binding, ${formatBytes(defaultLimits.maxBufferSize)} a buffer): the engine asks the adapter for more, which not every GPU gives`,
    );
  return lines.join('\n') + '\n';
}

/** "8GB", "512MB", "1.5 GiB", "2000000000" as bytes (parseByteSize, which the page's budget uses too). */
export function parseSize(text: string): number {
  const bytes = parseByteSize(text);
  if (bytes === undefined) throw new UsageError(`--memory: "${text}" is not a size (e.g. 8GB, 512MB)`);
  return bytes;
}
