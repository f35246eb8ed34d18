import { describe, expect, it } from 'vitest';
import { parseRecordLine, tokenScoresFromRecord, groupField } from './record';
import { weighSteps } from './weights';

describe('parseRecordLine', () => {
  it('reads Python-style NaN and Infinity so the checks can name their position', () => {
    const record = parseRecordLine(
      '{"student_logprobs": [-1, NaN], "teacher_logprobs": [-Infinity, Infinity], "mask": [1, 1], "text": "NaN stays text \\" Infinity"}',
    );
    expect(record.text).toBe('NaN stays text " Infinity');
    const scores = tokenScoresFromRecord(record);
    expect(Number.isNaN(scores.studentLogprobs[1])).toBe(true);
    expect(scores.teacherLogprobs[0]).toBe(-Infinity);
    expect(() => weighSteps(scores)).toThrow('student_logprobs[1] is NaN');
    expect(() => weighSteps({ ...scores, studentLogprobs: [-1, -1] })).toThrow('teacher_logprobs[0] is -Infinity');
  });
  it('refuses a line that is not an object', () => {
    expect(() => parseRecordLine('[1, 2]')).toThrow('line must be a JSON object');
    expect(() => parseRecordLine('{"a": ')).toThrow(SyntaxError);
  });
});

describe('record fields', () => {
  it('names a missing or mistyped field', () => {
    expect(() => tokenScoresFromRecord({ mask: [1], student_logprobs: [0] })).toThrow('teacher_logprobs is missing');
    expect(() => tokenScoresFromRecord({ mask: 'x', student_logprobs: [0], teacher_logprobs: [0] })).toThrow(
      'mask must be an array of numbers, got string',
    );
    expect(() => tokenScoresFromRecord({ mask: [1, null], student_logprobs: [0], teacher_logprobs: [0] })).toThrow(
      'mask[1] must be a number, got null',
    );
    expect(() => groupField({ group: [1] })).toThrow('group must be a string or a number');
  });
});
