import { describeJson } from '../../core/json';
import type { TrajectoryRecord } from '../../sod/record';

/** The optional record fields that hold each model's top-k next tokens, one entry per response token. */
export type AlternativesField = 'student_top' | 'teacher_top';

/** One candidate next token: its text and its log-probability (natural log). */
export interface Alternative {
  token: string;
  logprob: number;
}

/**
 * What a record says about the alternatives at one position:
 * - `absent`: the record has no such field (nothing to show, nothing wrong);
 * - `ok`: the candidates, most likely first (empty where the model was not asked, e.g. tool output);
 * - `malformed`: the field is there but cannot be read at this position; `message` says why.
 */
export type AlternativesAt =
  | { kind: 'absent' }
  | { kind: 'ok'; alternatives: Alternative[] }
  | { kind: 'malformed'; message: string };

/** A log-probability may be a hair above 0 from rounding; anything more is not one. */
const logprobSlack = 1e-6;

function describe(value: unknown): string {
  return describeJson(value, 40);
}

/**
 * The student's or teacher's top alternatives at response position t, read gently:
 * a malformed field never throws, it comes back as `malformed` with a short reason.
 * The field must be an array with one entry per response token (as long as `mask`),
 * each entry an array of `[tokenText, logprob]` pairs.
 */
export function alternativesAt(record: TrajectoryRecord, field: AlternativesField, t: number): AlternativesAt {
  const value = record[field];
  if (value === undefined || value === null) return { kind: 'absent' };
  if (!Array.isArray(value))
    return { kind: 'malformed', message: `${field} must be an array with one entry per token, got ${typeof value}` };
  const mask = record.mask;
  if (Array.isArray(mask) && value.length !== mask.length) {
    return { kind: 'malformed', message: `${field} has ${value.length} entries for ${mask.length} tokens` };
  }
  if (!Number.isInteger(t) || t < 0 || t >= value.length) {
    return { kind: 'malformed', message: `${field} has no entry for token ${t}` };
  }
  const entry: unknown = value[t];
  if (!Array.isArray(entry))
    return {
      kind: 'malformed',
      message: `${field}[${t}] must be a list of [token, logprob] pairs, got ${describe(entry)}`,
    };
  const alternatives: Alternative[] = [];
  const pairs: unknown[] = entry;
  for (const pair of pairs) {
    if (!Array.isArray(pair) || pair.length !== 2) {
      return { kind: 'malformed', message: `${field}[${t}] must hold [token, logprob] pairs, got ${describe(pair)}` };
    }
    const [token, logprob]: unknown[] = pair;
    if (typeof token !== 'string')
      return { kind: 'malformed', message: `${field}[${t}]: token text must be a string, got ${describe(token)}` };
    if (typeof logprob !== 'number' || Number.isNaN(logprob) || logprob > logprobSlack) {
      return {
        kind: 'malformed',
        message: `${field}[${t}]: log-probability must be a number ≤ 0, got ${describe(logprob)}`,
      };
    }
    alternatives.push({ token, logprob: Math.min(logprob, 0) });
  }
  alternatives.sort((a, b) => b.logprob - a.logprob);
  return { kind: 'ok', alternatives };
}

/** exp(logprob) as a short percentage: 72.4%, 3.14%, 0.04%, < 0.01%. */
export function formatPercent(logprob: number): string {
  const p = Math.exp(logprob) * 100;
  if (p >= 10) return `${p.toFixed(1)}%`;
  if (p >= 0.01) return `${p.toFixed(2)}%`;
  return '< 0.01%';
}

/** Token text with its whitespace made visible (␣ for a space, ↵ for a newline, ⇥ for a tab). */
export function visibleToken(text: string): string {
  return text.replace(/ /g, '␣').replace(/\n/g, '↵').replace(/\t/g, '⇥');
}
