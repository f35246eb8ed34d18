import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  editText,
  fuzz,
  fuzzTimeout,
  jsonMutations,
  mutatedJsonText,
  outcomeOf,
  textEdits,
} from '../../../tests/support/fuzz';
import { parseTasks } from './task';

const lines = readFileSync(new URL('../../../public/tasks/competition.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .slice(0, 4);
const records: unknown[] = lines.map((l) => JSON.parse(l));

/** A task file: the first lines of competition.jsonl, one of them mutated, the whole maybe edited, with either line end and maybe a byte-order mark. */
const taskFile = fc
  .record({
    line: fc.nat({ max: lines.length - 1 }),
    mutations: fc.option(jsonMutations, { nil: undefined }),
    edits: fc.option(textEdits, { nil: undefined }),
    end: fc.constantFrom('\n', '\r\n'),
    bom: fc.boolean(),
  })
  .map(({ line, mutations, edits, end, bom }) => {
    const text = lines
      .map((l, i) => (i === line && mutations !== undefined ? mutatedJsonText(records[i], mutations) : l))
      .join(end);
    return `${bom ? '\ufeff' : ''}${edits === undefined ? text : editText(text, edits)}`;
  });

describe('task files, fuzzed', () => {
  it(
    'a mutated task file gives whole tasks or an error naming the file and line',
    async () => {
      const inputs = fc.oneof(
        { arbitrary: taskFile, weight: 4 },
        { arbitrary: fc.string({ unit: 'binary', maxLength: 100 }), weight: 1 },
      );
      await fuzz('parseTasks', inputs, async (text) => {
        const result = await outcomeOf(() => parseTasks(text, 'tasks/mine.jsonl'), 'tasks/mine.jsonl line ');
        if (!result.ok) return false;
        expect(result.value.length).toBe(
          text.split(/\r?\n/).filter((l) => l.replace(/^\ufeff/, '').trim() !== '').length,
        );
        for (const task of result.value) {
          for (const field of [task.id, task.question, task.answer]) expect(field.length).toBeGreaterThan(0);
          expect(typeof task.source).toBe('string');
        }
        return true;
      });
    },
    fuzzTimeout(),
  );

  it(
    'a byte-order mark (as editors on Windows save) changes nothing',
    async () => {
      await fuzz('parseTasks (byte-order mark)', taskFile, (text) => {
        const plain = text.replace(/^\ufeff/, '');
        let expected: unknown;
        try {
          expected = parseTasks(plain, 'mine.jsonl');
        } catch (err) {
          expect(() => parseTasks(`\ufeff${plain}`, 'mine.jsonl')).toThrow((err as Error).message);
          return false;
        }
        expect(parseTasks(`\ufeff${plain}`, 'mine.jsonl')).toEqual(expected);
        return true;
      });
    },
    fuzzTimeout(),
  );
});
