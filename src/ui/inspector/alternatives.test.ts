import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { numberArrayField, parseRecordLine } from '../../sod/record';
import { alternativesAt, formatPercent, visibleToken } from './alternatives';

const record = {
  mask: [1, 0, 1],
  student_top: [
    [
      [' a', -0.1],
      [' b', -2.5],
    ],
    [],
    [
      [' c', -3],
      [' d', -0.2],
    ],
  ],
};

describe('alternativesAt', () => {
  it('reads the candidates at a position, most likely first', () => {
    expect(alternativesAt(record, 'student_top', 0)).toEqual({
      kind: 'ok',
      alternatives: [
        { token: ' a', logprob: -0.1 },
        { token: ' b', logprob: -2.5 },
      ],
    });
    expect(alternativesAt(record, 'student_top', 1)).toEqual({ kind: 'ok', alternatives: [] });
    expect(alternativesAt(record, 'student_top', 2)).toEqual({
      kind: 'ok',
      alternatives: [
        { token: ' d', logprob: -0.2 },
        { token: ' c', logprob: -3 },
      ],
    });
  });

  it('says absent when the record has no such field', () => {
    expect(alternativesAt(record, 'teacher_top', 0)).toEqual({ kind: 'absent' });
    expect(alternativesAt({ ...record, teacher_top: null }, 'teacher_top', 0)).toEqual({ kind: 'absent' });
  });

  it('names what is wrong instead of throwing', () => {
    const bad = (value: unknown, t = 0) => alternativesAt({ mask: [1, 1], teacher_top: value }, 'teacher_top', t);
    expect(bad('oops')).toEqual({
      kind: 'malformed',
      message: 'teacher_top must be an array with one entry per token, got string',
    });
    expect(bad([[]])).toEqual({ kind: 'malformed', message: 'teacher_top has 1 entries for 2 tokens' });
    expect(bad([[], 7], 1)).toEqual({
      kind: 'malformed',
      message: 'teacher_top[1] must be a list of [token, logprob] pairs, got 7',
    });
    expect(bad([[['x']], []])).toMatchObject({
      kind: 'malformed',
      message: 'teacher_top[0] must hold [token, logprob] pairs, got ["x"]',
    });
    expect(bad([[[3, -1]], []])).toMatchObject({
      kind: 'malformed',
      message: 'teacher_top[0]: token text must be a string, got 3',
    });
    expect(bad([[['x', 'y']], []])).toMatchObject({
      kind: 'malformed',
      message: 'teacher_top[0]: log-probability must be a number ≤ 0, got "y"',
    });
    expect(bad([[['x', 0.5]], []])).toMatchObject({ kind: 'malformed' });
    expect(bad([[['x', NaN]], []])).toMatchObject({ kind: 'malformed' });
    expect(bad([[], []], 2)).toEqual({ kind: 'malformed', message: 'teacher_top has no entry for token 2' });
    // Found by inspector.fuzz.test.ts: quoting these threw a RangeError, or wrote NaN as null.
    const deep = JSON.parse(`${'['.repeat(12_000)}${']'.repeat(12_000)}`);
    expect(bad([[deep], []])).toEqual({
      kind: 'malformed',
      message: 'teacher_top[0] must hold [token, logprob] pairs, got an array nested too deep',
    });
    expect(bad([[['x', NaN]], []])).toEqual({
      kind: 'malformed',
      message: 'teacher_top[0]: log-probability must be a number ≤ 0, got NaN',
    });
  });

  it('accepts a log-probability of -Infinity and a rounding hair above 0', () => {
    expect(
      alternativesAt(
        {
          mask: [1],
          student_top: [
            [
              ['x', 1e-9],
              ['y', -Infinity],
            ],
          ],
        },
        'student_top',
        0,
      ),
    ).toEqual({
      kind: 'ok',
      alternatives: [
        { token: 'x', logprob: 0 },
        { token: 'y', logprob: -Infinity },
      ],
    });
  });

  it('reads every position of the bundled sample', () => {
    const sample = parseRecordLine(
      readFileSync(new URL('../../../public/samples/drift-recovery.jsonl', import.meta.url), 'utf8').trim(),
    );
    const mask = numberArrayField(sample, 'mask');
    for (const field of ['student_top', 'teacher_top'] as const) {
      mask.forEach((m, t) => {
        const at = alternativesAt(sample, field, t);
        expect(at.kind).toBe('ok');
        if (at.kind === 'ok') expect(at.alternatives.length).toBe(m === 1 ? 5 : 0);
      });
    }
  });
});

describe('formatPercent and visibleToken', () => {
  it('shows exp(logprob) as a short percentage', () => {
    expect(formatPercent(0)).toBe('100.0%');
    expect(formatPercent(Math.log(0.0314))).toBe('3.14%');
    expect(formatPercent(Math.log(0.0004))).toBe('0.04%');
    expect(formatPercent(-Infinity)).toBe('< 0.01%');
  });
  it('makes whitespace visible', () => {
    expect(visibleToken(' a\n\tb')).toBe('␣a↵⇥b');
  });
});
