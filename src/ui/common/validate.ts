/** What a number field accepts. */
export interface NumberRule {
  min: number;
  /** No upper bound when absent. */
  max?: number;
  integer?: boolean;
}

export type Validated = { ok: true; value: number } | { ok: false; message: string };

/** Reads what the user typed in a number field, or says in plain words what is wrong with it. */
export function validateNumber(text: string, rule: NumberRule): Validated {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: false, message: 'Enter a number.' };
  const value = Number(trimmed);
  if (!Number.isFinite(value)) return { ok: false, message: `“${trimmed}” is not a number.` };
  if (rule.integer && !Number.isInteger(value)) return { ok: false, message: 'Must be a whole number.' };
  if (value < rule.min || (rule.max !== undefined && value > rule.max)) {
    return {
      ok: false,
      message:
        rule.max === undefined ? `Must be at least ${rule.min}.` : `Must be between ${rule.min} and ${rule.max}.`,
    };
  }
  return { ok: true, value };
}
