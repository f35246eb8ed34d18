/**
 * `sodp train`'s options, read into the same TrainingSettings the playground's form edits,
 * with the same defaults (`defaultTrainingSettings`), plus what only the CLI offers.
 */
import { defaultTrainingSettings as d, type TrainingSettings } from '../agent/training/settings';
import { allLoraTargets, type LoraTarget } from '../engine/params';
import { methods, type Method } from '../sod/advantages';
import { samplingOptionSpec } from './agent-setup';
import { choiceOption, numberOption, UsageError, type OptionSpec } from './command';

export const trainOptionSpec = {
  method: { type: 'string' },
  updates: { type: 'string' },
  prompts: { type: 'string' },
  group: { type: 'string' },
  'ppo-epochs': { type: 'string' },
  'ppo-mini-batch': { type: 'string' },
  lr: { type: 'string' },
  rank: { type: 'string' },
  alpha: { type: 'string' },
  targets: { type: 'string' },
  ...samplingOptionSpec,
  epsilon: { type: 'string' },
  delta: { type: 'string' },
  coef: { type: 'string' },
  'eval-tasks': { type: 'string' },
  'eval-n': { type: 'string' },
  'eval-every': { type: 'string' },
} as const satisfies OptionSpec;

export const trainOptionHelp = `  --method M          sod (default), opd, grpo (no teacher needed) or distill
  --updates N         updates to run (default ${d.updates})
  --prompts P         prompts per update (default ${d.promptsPerUpdate})
  --group G           samples per prompt (default ${d.groupSize})
  --ppo-epochs E      passes over each update's batch (default ${d.ppoEpochs})
  --ppo-mini-batch M  prompts per optimizer step (default ${d.ppoMiniBatchSize})
  --lr X              AdamW learning rate (default ${d.learningRate})
  --rank R            LoRA rank (default ${d.loraRank}); --alpha A (default 2 × rank)
  --targets LIST      comma-separated projections (default all: ${allLoraTargets.join(',')})
  --temperature T     sampling temperature (default ${d.temperature}); --top-p P (default 1), --top-k K (default 0 = all)
  --seed S            seed of the prompt order, the adapter and the sampler (default ${d.seed})
  --max-turns N       assistant turns per trajectory (default ${d.maxTurns})
  --max-tokens N      new tokens per assistant turn (default ${d.maxTokens})
  --epsilon E, --delta D, --coef C   the step weighting (defaults ${d.epsilon}, ${d.delta}, ${d.coef})
  --eval-tasks FILE   held-out tasks, solved greedily before and after training (default: none)
  --eval-n N          how many of them (default ${d.evalProblems}); --eval-every K  also after every K updates (default ${d.evalEvery})`;

export interface TrainOptions {
  settings: TrainingSettings;
  alpha: number;
  targets: LoraTarget[];
  topP: number;
  topK: number;
  evalTasksFile: string | undefined;
}

function isTarget(name: string): name is LoraTarget {
  return allLoraTargets.some((t) => t === name);
}

export function trainOptionsFrom(values: Partial<Record<keyof typeof trainOptionSpec, string>>): TrainOptions {
  const loraRank = numberOption('rank', values.rank, d.loraRank);
  const targets = (values.targets ?? allLoraTargets.join(',')).split(',').map((t) => t.trim());
  const badTarget = targets.find((t) => !isTarget(t));
  if (badTarget !== undefined)
    throw new UsageError(`--targets: ${badTarget} is not one of ${allLoraTargets.join(', ')}`);
  const settings: TrainingSettings = {
    method: choiceOption<Method>('method', values.method, methods, d.method),
    updates: numberOption('updates', values.updates, d.updates),
    learningRate: numberOption('lr', values.lr, d.learningRate),
    loraRank,
    promptsPerUpdate: numberOption('prompts', values.prompts, d.promptsPerUpdate),
    groupSize: numberOption('group', values.group, d.groupSize),
    ppoEpochs: numberOption('ppo-epochs', values['ppo-epochs'], d.ppoEpochs),
    ppoMiniBatchSize: numberOption('ppo-mini-batch', values['ppo-mini-batch'], d.ppoMiniBatchSize),
    maxTokens: numberOption('max-tokens', values['max-tokens'], d.maxTokens),
    maxTurns: numberOption('max-turns', values['max-turns'], d.maxTurns),
    temperature: numberOption('temperature', values.temperature, d.temperature),
    epsilon: numberOption('epsilon', values.epsilon, d.epsilon),
    delta: numberOption('delta', values.delta, d.delta),
    coef: numberOption('coef', values.coef, d.coef),
    evalProblems: numberOption('eval-n', values['eval-n'], d.evalProblems),
    evalEvery: numberOption('eval-every', values['eval-every'], d.evalEvery),
    seed: numberOption('seed', values.seed, d.seed),
  };
  return {
    settings,
    alpha: numberOption('alpha', values.alpha, 2 * loraRank),
    targets: targets.filter(isTarget),
    topP: numberOption('top-p', values['top-p'], 1),
    topK: numberOption('top-k', values['top-k'], 0),
    evalTasksFile: values['eval-tasks'],
  };
}
