import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  editText,
  fuzz,
  fuzzTimeout,
  jsonMutations,
  mutatedJsonText,
  oddJsonValue,
  textEdits,
} from '../../tests/support/fuzz';
import { groupField, numberField, parseRecordLine, type TrajectoryRecord, tokenScoresFromRecord } from './record';
import { SodInputError } from './validate';
import { weighSteps } from './weights';

const sampleLine = readFileSync(new URL('../../public/samples/drift-recovery.jsonl', import.meta.url), 'utf8').split(
  '\n',
)[0];
const sample: unknown = JSON.parse(sampleLine.replace(/\bNaN\b/g, 'null'));

/** JSON as Python's json.dumps writes it: NaN, Infinity and -Infinity as bare words. */
function pythonJson(value: unknown): string {
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(', ')}]`;
  if (typeof value === 'object' && value !== null)
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}: ${pythonJson(v)}`)
      .join(', ')}}`;
  return JSON.stringify(value);
}

/** Strings that look like the reader's own markers, or like the bare words it reads as numbers. */
const trickyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom(
    'NaN',
    '-Infinity',
    'Infinity NaN',
    '\u0000',
    '\u0000\u0000x',
    '\u0000sodp:NaN',
    '\u0000sodp:Infinity',
    '\u0000sodp:constructor',
    '\u0000sodp:__proto__',
    '\\',
    '"',
    '\ud800',
  ),
);

/** JSON objects whose numbers may be NaN or ±Infinity (as trajectories hold them) and whose strings are tricky. */
const recordValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    // JSON has no -0 to write.
    fc.double().map((x) => (Object.is(x, -0) ? 0 : x)),
    fc.constantFrom(NaN, Infinity, -Infinity, null, true, false),
    trickyString,
    fc.array(tie('value'), { maxLength: 4 }),
    tie('object'),
  ),
  object: fc.dictionary(trickyString, tie('value'), { maxKeys: 4 }),
})).object;

/** A parsed line is a plain object of its own fields, nothing inherited or invented. */
function expectPlainRecord(record: TrajectoryRecord): void {
  expect(typeof record).toBe('object');
  expect(Array.isArray(record)).toBe(false);
  expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
}

/** Reads the fields the algorithm reads, as the inspector and `sodp weights` do: a value or a SodInputError naming the field. */
function readFields(record: TrajectoryRecord): void {
  for (const read of [
    () => weighSteps(tokenScoresFromRecord(record)),
    () => numberField(record, 'reward'),
    () => groupField(record),
  ]) {
    try {
      read();
    } catch (err) {
      expect(err, String(err)).toBeInstanceOf(SodInputError);
      if (err instanceof SodInputError) {
        expect(err.message.startsWith(err.field)).toBe(true);
        expect(err.message.length).toBeLessThanOrEqual(1000);
      }
    }
  }
}

describe('trajectory JSONL lines, fuzzed', () => {
  it(
    'reads back every object written Python-style, NaN and Infinity included, strings unchanged',
    async () => {
      await fuzz(
        'parseRecordLine (round trip)',
        recordValue,
        (value) => {
          const record = parseRecordLine(pythonJson(value));
          expectPlainRecord(record);
          expect(record).toEqual(value);
          return true;
        },
        { needsBoth: false },
      );
    },
    fuzzTimeout(),
  );

  it(
    'a mutated trajectory line is read or refused: a SodInputError naming the field, or bad JSON',
    async () => {
      const inputs = fc.oneof(
        { arbitrary: jsonMutations.map((m) => mutatedJsonText(sample, m)), weight: 3 },
        { arbitrary: textEdits.map((edits) => editText(sampleLine, edits)), weight: 1 },
        {
          arbitrary: fc
            .tuple(jsonMutations, textEdits)
            .map(([m, edits]) => editText(mutatedJsonText(sample, m), edits)),
          weight: 1,
        },
        { arbitrary: fc.oneof(fc.string({ unit: 'binary', maxLength: 100 }), oddJsonValue.map(pythonJson)), weight: 1 },
      );
      await fuzz('parseRecordLine (mutations)', inputs, (line) => {
        let record: TrajectoryRecord;
        try {
          record = parseRecordLine(line);
        } catch (err) {
          // Bad JSON is a SyntaxError by design: the readers of whole files report it with the line number.
          if (err instanceof SyntaxError) {
            expect(err.message.length).toBeGreaterThan(0);
            return false;
          }
          expect(err, String(err)).toBeInstanceOf(SodInputError);
          return false;
        }
        expectPlainRecord(record);
        readFields(record);
        return true;
      });
    },
    fuzzTimeout(),
  );
});
