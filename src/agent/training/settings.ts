/** A training run's settings as a person sets them (the Training form), and the plan they make. */
import type { Method } from '../../sod/advantages';
import { defaultPpoSettings } from '../../sod/loss';
import { defaultStepSettings } from '../../sod/weights';
import type { Task } from '../tasks/task';
import type { Workload } from '../../engine/memory-plan';
import type { TrainingPlan } from './run';

export interface TrainingSettings {
  method: Method;
  updates: number;
  learningRate: number;
  loraRank: number;
  promptsPerUpdate: number;
  groupSize: number;
  /** Passes over each update's batch (verl's ppo_epochs). */
  ppoEpochs: number;
  /** Prompts per PPO mini-batch, each mini-batch one optimizer step (verl's ppo_mini_batch_size). */
  ppoMiniBatchSize: number;
  /** New tokens per assistant turn. */
  maxTokens: number;
  maxTurns: number;
  temperature: number;
  epsilon: number;
  delta: number;
  coef: number;
  /** Held-out problems evaluated greedily before the first and after the last update (0 = none). */
  evalProblems: number;
  /** Also evaluate them after every `evalEvery` updates: the held-out learning curve (0 = only before and after). */
  evalEvery: number;
  seed: number;
}

/**
 * Chosen by `npm run search:defaults` on a validation split of the training problems
 * (docs/training-defaults.md): candidate R, under 5 minutes of CPU for a run.
 */
export const defaultTrainingSettings: TrainingSettings = {
  method: 'sod',
  updates: 20,
  learningRate: 3e-4,
  loraRank: 8,
  promptsPerUpdate: 4,
  groupSize: 4,
  ppoEpochs: 1,
  ppoMiniBatchSize: 1,
  maxTokens: 256,
  maxTurns: 4,
  temperature: 0.7,
  epsilon: defaultStepSettings.epsilon,
  delta: defaultStepSettings.delta,
  coef: defaultStepSettings.coef,
  evalProblems: 20,
  evalEvery: 5,
  seed: 0,
};

/** The rollout limits of a run's trajectories (training and evaluation alike). */
export function rolloutLimits(s: TrainingSettings): { maxTurns: number; maxTurnTokens: number } {
  return { maxTurns: s.maxTurns, maxTurnTokens: s.maxTokens };
}

/** What the driver runs for these settings; the first `evalProblems` of `heldOut` are evaluated. */
export function trainingPlan(s: TrainingSettings, heldOut: readonly Task[]): TrainingPlan {
  return {
    updates: s.updates,
    promptsPerUpdate: s.promptsPerUpdate,
    seed: s.seed,
    update: {
      method: s.method,
      groupSize: s.groupSize,
      ppoEpochs: s.ppoEpochs,
      ppoMiniBatchSize: s.ppoMiniBatchSize,
      sampling: {
        temperature: s.temperature,
        topP: 1,
        topK: 0,
        seed: s.seed,
        maxNewTokens: s.maxTokens,
        stopTokenIds: [],
        stopStrings: [],
      },
      limits: rolloutLimits(s),
      step: { epsilon: s.epsilon, delta: s.delta, coef: s.coef },
      ppo: defaultPpoSettings,
    },
    evalTasks: heldOut.slice(0, s.evalProblems),
    evalEvery: s.evalEvery,
  };
}

/** Tokens of a prompt (system text, the tool's description, a question) assumed by memory plans made before a tokenizer is at hand. */
export const planPromptTokens = 300;

/** Tokens a tool's output is assumed to add between two turns, for memory plans. */
export const toolOutputTokens = 64;

/** The largest work one update of these settings asks of the engine (for its memory plan), with prompts of `promptTokens`. */
export function workloadOf(s: TrainingSettings, promptTokens: number): Workload {
  return {
    promptTokens,
    turnTokens: s.maxTokens,
    responseTokens: s.maxTurns * s.maxTokens + (s.maxTurns - 1) * toolOutputTokens,
    sequencesPerStep: Math.min(s.ppoMiniBatchSize, s.promptsPerUpdate) * s.groupSize,
  };
}
