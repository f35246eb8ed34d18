import { SodInputError } from '../../sod/validate';
import { checkStepSettings, type StepSettings } from '../../sod/weights';
import type { InspectorState, SettingsText } from './initialState';

export type Parsed<T> = { ok: true; value: T } | { ok: false; field: string; message: string };

/** Reads the settings text into numbers, with the message of the first bad field (checked by src/sod). */
export function parseSettings(text: SettingsText): Parsed<StepSettings> {
  const entries = Object.entries(text);
  for (const [field, raw] of entries) {
    if (raw.trim() === '' || !Number.isFinite(Number(raw))) {
      return { ok: false, field, message: `${field} must be a number, got '${raw}'` };
    }
  }
  const settings: StepSettings = { epsilon: Number(text.epsilon), delta: Number(text.delta), coef: Number(text.coef) };
  try {
    checkStepSettings(settings);
  } catch (err) {
    if (err instanceof SodInputError) return { ok: false, field: err.field, message: err.message };
    throw err;
  }
  return { ok: true, value: settings };
}

export const inspectorSelectors = {
  selectedTrajectory: (s: InspectorState) => s.trajectories[s.selected],
  trajectoryCount: (s: InspectorState) => s.trajectories.length,
  settingsText: (s: InspectorState) => s.settings,
};
