import { useState } from 'react';
import { methods, type Method } from '../../sod/advantages';
import { useAppStore } from '../../store/store';
import { NumberField } from '../common/NumberField';
import { validateNumber } from '../common/validate';
import type { TrainingSettings } from '../../agent/training/settings';

type NumericKey = Exclude<keyof TrainingSettings, 'method'>;

interface FieldSpec {
  key: NumericKey;
  label: string;
  unit?: string;
  min: number;
  max: number;
  step: number | 'any';
  integer?: boolean;
  hint?: string;
}

const fields: readonly FieldSpec[] = [
  { key: 'updates', label: 'Updates', min: 1, max: 1000, step: 1, integer: true },
  { key: 'learningRate', label: 'Learning rate', min: 1e-7, max: 1, step: 'any', hint: 'AdamW, on the LoRA adapter' },
  { key: 'loraRank', label: 'LoRA rank', min: 1, max: 256, step: 1, integer: true, hint: 'alpha = 2 × rank' },
  { key: 'promptsPerUpdate', label: 'Prompts per update', min: 1, max: 256, step: 1, integer: true },
  { key: 'groupSize', label: 'Group size', min: 1, max: 64, step: 1, integer: true, hint: 'samples per prompt' },
  { key: 'ppoEpochs', label: 'PPO epochs', min: 1, max: 16, step: 1, integer: true, hint: 'passes over each batch' },
  {
    key: 'ppoMiniBatchSize',
    label: 'PPO mini-batch',
    unit: 'prompts',
    min: 1,
    max: 256,
    step: 1,
    integer: true,
    hint: 'one optimizer step each',
  },
  { key: 'maxTokens', label: 'Max tokens per turn', unit: 'tokens', min: 8, max: 8192, step: 1, integer: true },
  { key: 'maxTurns', label: 'Max turns', min: 1, max: 32, step: 1, integer: true },
  { key: 'temperature', label: 'Temperature', min: 0, max: 2, step: 0.05 },
  { key: 'epsilon', label: 'ε (epsilon)', min: 0, max: 1, step: 'any', hint: 'keeps the divergence ratio finite' },
  { key: 'delta', label: 'δ (delta)', min: 0, max: 10, step: 0.05, hint: 'weights are capped at 1 + δ' },
  { key: 'coef', label: 'c (coefficient)', min: 0, max: 100, step: 0.1, hint: 'scale of the distillation advantage' },
  {
    key: 'evalProblems',
    label: 'Held-out problems',
    min: 0,
    max: 200,
    step: 1,
    integer: true,
    hint: 'number of held-out problems evaluated (0 = none)',
  },
  {
    key: 'evalEvery',
    label: 'Evaluate every',
    unit: 'updates',
    min: 0,
    max: 1000,
    step: 1,
    integer: true,
    hint: 'held-out curve; 0 = before and after only',
  },
  { key: 'seed', label: 'Seed', min: 0, max: 2 ** 31 - 1, step: 1, integer: true },
];

const methodLabels: Record<Method, string> = {
  sod: 'SOD: step-weighted distillation + reward',
  opd: 'OPD: unweighted distillation + reward',
  grpo: 'GRPO: reward only (no teacher)',
  distill: 'Distill: step-weighted distillation, no reward',
};

function isMethod(value: string): value is Method {
  return methods.some((m) => m === value);
}

function SettingField({ spec, value, onValid }: { spec: FieldSpec; value: number; onValid(v: number): void }) {
  // The text typed is kept even while invalid; only valid values reach the store.
  const [text, setText] = useState(String(value));
  const checked = validateNumber(text, spec);
  return (
    <NumberField
      label={spec.unit ? `${spec.label} (${spec.unit})` : spec.label}
      text={text}
      onTextChange={(next) => {
        setText(next);
        const valid = validateNumber(next, spec);
        if (valid.ok) onValid(valid.value);
      }}
      error={checked.ok ? undefined : checked.message}
      hint={spec.hint}
      min={spec.min}
      max={spec.max}
      step={spec.step}
    />
  );
}

/** The settings of the next run. Fields lock while a run is active. */
export function TrainingForm({ locked }: { locked: boolean }) {
  const settings = useAppStore((s) => s.trainingSettings);
  const setSettings = useAppStore((s) => s.setTrainingSettings);
  const usesTeacher = settings.method !== 'grpo';
  return (
    <fieldset className="training-form" disabled={locked}>
      <legend>Next run</legend>
      <div className="field">
        <label htmlFor="train-method" className="field-label">
          Method
        </label>
        <select
          id="train-method"
          value={settings.method}
          onChange={(e) => {
            if (isMethod(e.target.value)) setSettings({ method: e.target.value });
          }}
        >
          {methods.map((m) => (
            <option key={m} value={m}>
              {methodLabels[m]}
            </option>
          ))}
        </select>
      </div>
      {fields
        .filter((f) => usesTeacher || !['epsilon', 'delta', 'coef'].includes(f.key))
        .map((f) => (
          <SettingField key={f.key} spec={f} value={settings[f.key]} onValid={(v) => setSettings({ [f.key]: v })} />
        ))}
    </fieldset>
  );
}
