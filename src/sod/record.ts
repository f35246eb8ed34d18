import { describeJson } from '../core/json';
import type { GroupKey } from './grpo';
import { SodInputError } from './validate';
import type { TokenScores } from './weights';

/** One trajectory as read from a JSONL line: the fields the algorithm reads, by their file names. */
export type TrajectoryRecord = Record<string, unknown>;

/** The numbers Python writes as bare words; the longest first, so -Infinity is not read as - and Infinity. */
const bareWords = ['-Infinity', 'Infinity', 'NaN'] as const;
const nonFinite = new Map<string, number>([
  ['NaN', NaN],
  ['Infinity', Infinity],
  ['-Infinity', -Infinity],
]);
/** Starts the string a bare word becomes until JSON.parse is done; no string of the line can start so (see parseRecordLine). */
const markerPrefix = '\u0000sodp:';

/**
 * Parses one JSONL line into an object. Python's json module writes NaN, Infinity and
 * -Infinity as bare words; they are read as numbers here so the checks can name the
 * field and position that holds them instead of refusing the whole line as bad JSON.
 * Bad JSON throws JSON.parse's SyntaxError, which the readers of whole files report with the line number.
 */
export function parseRecordLine(line: string): TrajectoryRecord {
  let text = '';
  /** Where the part of the line not yet copied to `text` starts. */
  let from = 0;
  let marked = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === '"') {
      // A string of the line that starts with U+0000 gets a second one, so none can pass for a marker.
      if (line.startsWith('\\u0000', i + 1)) {
        text += `${line.slice(from, i + 1)}\\u0000`;
        from = i + 1;
        marked = true;
      }
      // Past the string: bare words inside it are text.
      for (i++; i < line.length && line[i] !== '"'; i++) if (line[i] === '\\') i++;
      continue;
    }
    if (ch !== 'N' && ch !== 'I' && ch !== '-') continue;
    const word = bareWords.find((w) => line.startsWith(w, i));
    if (word === undefined) continue;
    text += line.slice(from, i) + JSON.stringify(markerPrefix + word);
    from = i + word.length;
    i = from - 1;
    marked = true;
  }
  text += line.slice(from);
  const value: unknown = JSON.parse(text);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new SodInputError('line', undefined, 'must be a JSON object');
  }
  if (marked) unmark(value);
  return Object.fromEntries(Object.entries(value));
}

/** A marked string as it was written: a bare word's number, or a string of the line without its added U+0000. */
function unmarkString(text: string): string | number {
  if (text.startsWith('\u0000\u0000')) return text.slice(1);
  if (!text.startsWith(markerPrefix)) return text;
  return nonFinite.get(text.slice(markerPrefix.length)) ?? text;
}

/**
 * Undoes parseRecordLine's marks in place, with a stack rather than recursion (or JSON.parse's
 * reviver, which recurses): a line may nest arrays thousands deep.
 */
function unmark(root: object): void {
  const stack: object[] = [root];
  const visit = (v: unknown): unknown => {
    if (typeof v === 'string') return unmarkString(v);
    if (typeof v === 'object' && v !== null) stack.push(v);
    return v;
  };
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) node[i] = visit(node[i]);
      continue;
    }
    const entries = Object.entries(node);
    let changed = false;
    const read = entries.map(([key, v]) => {
      // A bare word where a key belongs (a string of the line that starts so was marked apart).
      if (key.startsWith(markerPrefix)) throw new SyntaxError(`${key.slice(markerPrefix.length)} cannot be a key`);
      const field = String(unmarkString(key));
      const value = visit(v);
      changed ||= field !== key || value !== v;
      return [field, value] as const;
    });
    if (!changed) continue;
    // Rewritten whole, so the fields keep their order.
    for (const [key] of entries) Reflect.deleteProperty(node, key);
    for (const [field, value] of read)
      Object.defineProperty(node, field, { value, enumerable: true, writable: true, configurable: true });
  }
}

/** A required array of numbers; names the field (and the position of a non-number) when it is not one. */
export function numberArrayField(record: TrajectoryRecord, field: string): number[] {
  const value = record[field];
  if (value === undefined) throw new SodInputError(field, undefined, 'is missing');
  if (!Array.isArray(value))
    throw new SodInputError(field, undefined, `must be an array of numbers, got ${typeof value}`);
  return value.map((v: unknown, i) => {
    if (typeof v !== 'number') throw new SodInputError(field, i, `must be a number, got ${describeJson(v)}`);
    return v;
  });
}

/** A required finite number. */
export function numberField(record: TrajectoryRecord, field: string): number {
  const value = record[field];
  if (value === undefined) throw new SodInputError(field, undefined, 'is missing');
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new SodInputError(field, undefined, `must be a finite number, got ${describeJson(value)}`);
  }
  return value;
}

/** A group key: a string or a finite number. */
export function groupField(record: TrajectoryRecord, field = 'group'): GroupKey {
  const value = record[field];
  if (value === undefined) throw new SodInputError(field, undefined, 'is missing');
  if (typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value))) return value;
  throw new SodInputError(field, undefined, `must be a string or a number, got ${describeJson(value)}`);
}

/** The per-token inputs of the step weighting, from a record's `student_logprobs`, `teacher_logprobs` and `mask`. */
export function tokenScoresFromRecord(record: TrajectoryRecord): TokenScores {
  return {
    mask: numberArrayField(record, 'mask'),
    studentLogprobs: numberArrayField(record, 'student_logprobs'),
    teacherLogprobs: numberArrayField(record, 'teacher_logprobs'),
  };
}
