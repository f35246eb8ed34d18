import { readFile } from 'node:fs/promises';
import { ChatFormat } from '../agent/chat';
import { loadTokenizer } from '../agent/load-tokenizer';
import { defaultThinking, thinkingOptions } from '../agent/thinking';
import { parseTasks, type Task } from '../agent/tasks/task';
import type { SamplingSettings } from '../core/policy';
import { choiceOption, numberOption, type OptionSpec } from './command';

export async function readTasks(path: string): Promise<Task[]> {
  return parseTasks(await readFile(path, 'utf8'), path);
}

/** The chat format of a model folder, in the thinking mode of `--thinking on|off` (default on). */
export async function chatFormatFor(folder: string, thinking: string | undefined): Promise<ChatFormat> {
  const on = choiceOption('thinking', thinking, ['on', 'off'] as const, defaultThinking ? 'on' : 'off') === 'on';
  return new ChatFormat(await loadTokenizer(folder), thinkingOptions(on));
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

export const thinkingOptionSpec = { thinking: { type: 'string' } } as const satisfies OptionSpec;
export const thinkingOptionHelp = `  --thinking on|off  Qwen3's thinking mode, enable_thinking of the chat template (default on, as in SOD's training recipe)`;
