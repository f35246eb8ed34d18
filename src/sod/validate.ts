/**
 * Input checks shared by every function of src/sod. A refused input throws a SodInputError
 * that names the field (as it is called in trajectory JSONL) and, where there is one, the position.
 */
export class SodInputError extends Error {
  override name = 'SodInputError';
  constructor(
    /** The offending field, e.g. 'student_logprobs'. */
    readonly field: string,
    /** The 0-based position inside the field, when the problem is one element. */
    readonly index: number | undefined,
    /** What is wrong, without the field: 'is NaN', 'must be 0 or 1, got 2'. */
    readonly detail: string,
  ) {
    super(`${index === undefined ? field : `${field}[${index}]`} ${detail}`);
  }
}

/** A sequence of numbers: a plain array or any typed array. */
export type Numbers = ArrayLike<number>;

function describe(value: number): string {
  if (Number.isNaN(value)) return 'is NaN';
  return `is ${value > 0 ? '+' : '-'}Infinity`;
}

/** Every element is a finite number. */
export function checkFinite(field: string, values: Numbers): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number') throw new SodInputError(field, i, `is not a number`);
    if (!Number.isFinite(v)) throw new SodInputError(field, i, describe(v));
  }
}

/** Every element is exactly 0 or 1. */
export function checkMask(field: string, mask: Numbers): void {
  for (let i = 0; i < mask.length; i++) {
    const m = mask[i];
    if (m !== 0 && m !== 1) throw new SodInputError(field, i, `must be 0 or 1, got ${String(m)}`);
  }
}

/** All named sequences have the length of the first one. */
export function checkSameLength(fields: ReadonlyArray<readonly [string, Numbers]>): void {
  const [firstName, first] = fields[0];
  for (const [name, values] of fields.slice(1)) {
    if (values.length !== first.length) {
      throw new SodInputError(
        name,
        undefined,
        `has length ${values.length} but ${firstName} has length ${first.length}`,
      );
    }
  }
}

/** A scalar setting that must be finite and satisfy `ok`; `rule` says what was expected. */
export function checkSetting(field: string, value: number, ok: (v: number) => boolean, rule: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || !ok(value)) {
    throw new SodInputError(field, undefined, `${rule}, got ${String(value)}`);
  }
}
