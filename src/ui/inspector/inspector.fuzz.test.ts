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
} from '../../../tests/support/fuzz';
import { tokenScoresFromRecord, type TrajectoryRecord } from '../../sod/record';
import { weighSteps } from '../../sod/weights';
import { parseTrajectoryText } from '../../store/inspector/actions';
import { alternativesAt } from './alternatives';
import { tokenLabels } from './TokenView';

const sampleLine = readFileSync(new URL('../../../public/samples/drift-recovery.jsonl', import.meta.url), 'utf8').split(
  '\n',
)[0];
const sample: unknown = JSON.parse(sampleLine);

/** A short trajectory with every field the inspector shows: tokens, both models' alternatives, a reward. */
const small = {
  task_id: 'arith-1',
  reward: 1,
  tokens: ['a', ' b', ' <tool>', ' c'],
  mask: [1, 1, 0, 1],
  student_logprobs: [-0.5, -0.4, -2, -1],
  teacher_logprobs: [-0.3, -1.0, -9, -0.5],
  student_top: [[['a', -0.5]], [[' b', -0.4]], [], [[' c', -1]]],
  teacher_top: [[['a', -0.3]], [[' x', -0.2]], [], [[' c', -0.5]]],
};

const line = fc.oneof(
  { arbitrary: jsonMutations.map((m) => mutatedJsonText(small, m)), weight: 6 },
  { arbitrary: fc.constant(JSON.stringify(small)), weight: 1 },
  { arbitrary: textEdits.map((edits) => editText(JSON.stringify(small), edits)), weight: 2 },
  { arbitrary: jsonMutations.map((m) => mutatedJsonText(sample, m)), weight: 1 },
  { arbitrary: fc.constantFrom('', '   ', '\t'), weight: 1 },
  { arbitrary: fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), oddJsonValue.map(String)), weight: 1 },
);

/** A JSONL file: a few lines, with Unix or Windows line ends. */
const file = fc
  .tuple(fc.array(line, { minLength: 1, maxLength: 4 }), fc.constantFrom('\n', '\r\n'))
  .map(([lines, end]) => lines.join(end));

/** What the inspector's views read of a loaded record; none of it may throw but the step weighting's own refusal. */
function showRecord(record: TrajectoryRecord): void {
  let tokens = 0;
  try {
    const scores = tokenScoresFromRecord(record);
    weighSteps(scores);
    tokens = scores.mask.length;
  } catch (err) {
    // InspectorView shows this message in place of the views.
    expect(err).toBeInstanceOf(Error);
    expect(['TypeError', 'RangeError'].includes((err as Error).name), String(err)).toBe(false);
  }
  const labels = tokenLabels(record);
  for (const t of [0, 1, tokens - 1, tokens]) {
    expect(typeof labels(t)).toBe('string');
    for (const field of ['student_top', 'teacher_top'] as const) {
      const at = alternativesAt(record, field, t);
      if (at.kind === 'malformed') expect(at.message.length).toBeLessThanOrEqual(200);
      if (at.kind === 'ok') for (const a of at.alternatives) expect(a.logprob).toBeLessThanOrEqual(0);
    }
  }
}

describe("the inspector's trajectory file reader, fuzzed", () => {
  it(
    'loads every good line and lists every bad one with its number and a short reason, never throwing',
    async () => {
      await fuzz('inspector JSONL file', file, (text) => {
        const { trajectories, lineErrors } = parseTrajectoryText(text);
        const nonBlank = text.split(/\r?\n/).flatMap((l, i) => (l.trim() === '' ? [] : [i + 1]));
        expect(
          [...trajectories.map((t) => t.lineNumber), ...lineErrors.map((e) => e.lineNumber)].sort((a, b) => a - b),
        ).toEqual(nonBlank);
        for (const e of lineErrors) {
          expect(e.message.length).toBeGreaterThan(0);
          expect(e.message.length).toBeLessThanOrEqual(1000);
        }
        for (const t of trajectories) showRecord(t.record);
        return lineErrors.length === 0;
      });
    },
    fuzzTimeout(),
  );
});
