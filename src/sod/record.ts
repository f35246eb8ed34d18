import type { GroupKey } from './grpo';
import { SodInputError } from './validate';
import type { TokenScores } from './weights';

/** One trajectory as read from a JSONL line: the fields the algorithm reads, by their file names. */
export type TrajectoryRecord = Record<string, unknown>;

const nonFiniteTokens: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };
const sentinelPrefix = '\u0000sodp:';

/**
 * Parses one JSONL line into an object. Python's json module writes NaN, Infinity and
 * -Infinity as bare words; they are read as numbers here so the checks can name the
 * field and position that holds them instead of refusing the whole line as bad JSON.
 */
export function parseRecordLine(line: string): TrajectoryRecord {
  let text = '';
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (inString) {
      text += ch;
      if (ch === '\\') text += line[++i] ?? '';
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    const word = ['-Infinity', 'Infinity', 'NaN'].find((w) => line.startsWith(w, i));
    if (word !== undefined) {
      text += JSON.stringify(sentinelPrefix + word);
      i += word.length - 1;
      continue;
    }
    text += ch;
  }
  const value: unknown = JSON.parse(text, (_key, v: unknown) =>
    typeof v === 'string' && v.startsWith(sentinelPrefix) ? nonFiniteTokens[v.slice(sentinelPrefix.length)] : v,
  );
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new SodInputError('line', undefined, 'must be a JSON object');
  }
  return Object.fromEntries(Object.entries(value));
}

/** A required array of numbers; names the field (and the position of a non-number) when it is not one. */
export function numberArrayField(record: TrajectoryRecord, field: string): number[] {
  const value = record[field];
  if (value === undefined) throw new SodInputError(field, undefined, 'is missing');
  if (!Array.isArray(value))
    throw new SodInputError(field, undefined, `must be an array of numbers, got ${typeof value}`);
  return value.map((v: unknown, i) => {
    if (typeof v !== 'number') throw new SodInputError(field, i, `must be a number, got ${JSON.stringify(v)}`);
    return v;
  });
}

/** A required finite number. */
export function numberField(record: TrajectoryRecord, field: string): number {
  const value = record[field];
  if (value === undefined) throw new SodInputError(field, undefined, 'is missing');
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new SodInputError(field, undefined, `must be a finite number, got ${JSON.stringify(value) ?? String(value)}`);
  }
  return value;
}

/** A group key: a string or a finite number. */
export function groupField(record: TrajectoryRecord, field = 'group'): GroupKey {
  const value = record[field];
  if (value === undefined) throw new SodInputError(field, undefined, 'is missing');
  if (typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value))) return value;
  throw new SodInputError(field, undefined, `must be a string or a number, got ${JSON.stringify(value)}`);
}

/** The per-token inputs of the step weighting, from a record's `student_logprobs`, `teacher_logprobs` and `mask`. */
export function tokenScoresFromRecord(record: TrajectoryRecord): TokenScores {
  return {
    mask: numberArrayField(record, 'mask'),
    studentLogprobs: numberArrayField(record, 'student_logprobs'),
    teacherLogprobs: numberArrayField(record, 'teacher_logprobs'),
  };
}
