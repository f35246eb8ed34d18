import { describe, expect, it } from 'vitest';
import { groupField, numberField, parseRecordLine, tokenScoresFromRecord } from './record';
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
    expect(() => parseRecordLine('{NaN: 1}')).toThrow(SyntaxError);
  });
  // Found by record.fuzz.test.ts: these strings used to come back as NaN, Object and Object.prototype.
  it('keeps strings that look like its own markers for NaN and Infinity as they are', () => {
    const record = parseRecordLine(
      '{"a": "\\u0000sodp:NaN", "b": ["\\u0000sodp:constructor", "\\u0000sodp:__proto__"], "\\u0000k": "\\u0000\\u0000", "c": NaN}',
    );
    expect(record).toEqual({
      a: '\u0000sodp:NaN',
      b: ['\u0000sodp:constructor', '\u0000sodp:__proto__'],
      '\u0000k': '\u0000\u0000',
      c: NaN,
    });
    expect(Object.keys(record)).toEqual(['a', 'b', '\u0000k', 'c']);
  });
  // Found by record.fuzz.test.ts: JSON.parse's reviver recursed, and messages quoted values with JSON.stringify.
  it('reads arrays nested thousands deep, and names the field they are in without overflowing the stack', () => {
    const deep = `${'['.repeat(12_000)}${']'.repeat(12_000)}`;
    const record = parseRecordLine(`{"mask": [${deep}], "student_logprobs": [NaN], "teacher_logprobs": [0]}`);
    expect(() => tokenScoresFromRecord(record)).toThrow('mask[0] must be a number, got an array nested too deep');
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
    // Found by record.fuzz.test.ts: NaN was quoted as JSON's null.
    expect(() => numberField({ reward: NaN }, 'reward')).toThrow('reward must be a finite number, got NaN');
  });
});
