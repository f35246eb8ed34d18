import { numberOption, type OptionSpec } from './command';
import { defaultStepSettings, type StepSettings } from '../sod/weights';

/** The options every command that weighs steps accepts, with the defaults of docs/algorithm.md. */
export const stepOptionSpec = {
  epsilon: { type: 'string' },
  delta: { type: 'string' },
  coef: { type: 'string' },
  input: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionSpec;

export const stepOptionHelp = `  --epsilon E   ε > 0 in the step-weight ratio (default ${defaultStepSettings.epsilon})
  --delta D     δ ≥ 0: weights are capped at 1 + δ (default ${defaultStepSettings.delta})
  --coef C      c, the coefficient of the distillation term (default ${defaultStepSettings.coef})
  --input FILE  read JSONL from FILE instead of standard input`;

export function stepSettingsFrom(values: { epsilon?: string; delta?: string; coef?: string }): StepSettings {
  return {
    epsilon: numberOption('epsilon', values.epsilon, defaultStepSettings.epsilon),
    delta: numberOption('delta', values.delta, defaultStepSettings.delta),
    coef: numberOption('coef', values.coef, defaultStepSettings.coef),
  };
}
