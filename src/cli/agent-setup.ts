import { readFile } from 'node:fs/promises';
import { ChatFormat, loadTokenizer } from '../agent/chat';
import { parseTasks, type Task } from '../agent/tasks/task';
import type { SamplingSettings } from '../core/policy';
import { numberOption, type OptionSpec } from './command';

export async function readTasks(path: string): Promise<Task[]> {
  return parseTasks(await readFile(path, 'utf8'), path);
}

export async function chatFormatFor(folder: string): Promise<ChatFormat> {
  return new ChatFormat(await loadTokenizer(folder));
}

export const samplingOptionSpec = {
  temperature: { type: 'string' },
  'top-p': { type: 'string' },
  'top-k': { type: 'string' },
  seed: { type: 'string' },
  'max-turns': { type: 'string' },
  'max-tokens': { type: 'string' },
} as const satisfies OptionSpec;

export const samplingOptionHelp = `  --temperature T  sampling temperature (default 1; 0 = greedy)
  --top-p P        nucleus sampling mass (default 1)
  --top-k K        keep the K most likely tokens (default 0 = all)
  --seed S         seed of the sampler (default 0)
  --max-turns N    assistant turns per trajectory (default 16)
  --max-tokens N   new tokens per assistant turn (default 1024)`;

export function samplingFrom(
  values: Partial<Record<keyof typeof samplingOptionSpec, string>>,
  defaults: { temperature: number },
): { sampling: SamplingSettings; limits: { maxTurns: number; maxTurnTokens: number } } {
  return {
    sampling: {
      temperature: numberOption('temperature', values.temperature, defaults.temperature),
      topP: numberOption('top-p', values['top-p'], 1),
      topK: numberOption('top-k', values['top-k'], 0),
      seed: numberOption('seed', values.seed, 0),
      maxNewTokens: 1024,
      stopTokenIds: [],
      stopStrings: [],
    },
    limits: {
      maxTurns: numberOption('max-turns', values['max-turns'], 16),
      maxTurnTokens: numberOption('max-tokens', values['max-tokens'], 1024),
    },
  };
}
