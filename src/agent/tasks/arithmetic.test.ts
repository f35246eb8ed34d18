import { describe, expect, it } from 'vitest';
import { generateArithmeticTasks } from './arithmetic';
import { parseTasks } from './task';

describe('generateArithmeticTasks', () => {
  it('is seeded: the same seed gives the same tasks, another seed different ones', () => {
    expect(generateArithmeticTasks(20, 7)).toEqual(generateArithmeticTasks(20, 7));
    expect(generateArithmeticTasks(20, 8).map((t) => t.question)).not.toEqual(
      generateArithmeticTasks(20, 7).map((t) => t.question),
    );
  });
  it('gives correct answers (checked independently for products and sums)', () => {
    for (const t of generateArithmeticTasks(200, 3)) {
      const product = /^What is (\d+) × (\d+)\?$/.exec(t.question);
      if (product) expect(t.answer).toBe((BigInt(product[1]) * BigInt(product[2])).toString());
      const seq = /starts at (\d+) and each term is (\d+) more .* first (\d+) terms/.exec(t.question);
      if (seq) {
        let sum = 0n;
        for (let i = 0n; i < BigInt(seq[3]); i++) sum += BigInt(seq[1]) + i * BigInt(seq[2]);
        expect(t.answer).toBe(sum.toString());
      }
      expect(t.answer).toMatch(/^\d+$/);
    }
  });
});

describe('parseTasks', () => {
  it('names the line and field of a bad task', () => {
    expect(() =>
      parseTasks('{"id": "a", "question": "q", "answer": "1"}\n{"id": "b", "question": ""}', 'x.jsonl'),
    ).toThrow('x.jsonl line 2: question must be a non-empty string');
  });
  // Found by task.fuzz.test.ts: line 1 was "not valid JSON (Unexpected token '\ufeff'…)".
  it('reads a file saved with a byte-order mark', () => {
    expect(parseTasks('\ufeff{"id": "a", "question": "q", "answer": 1}', 'x.jsonl')).toEqual([
      { id: 'a', question: 'q', answer: '1', source: 'unknown' },
    ]);
  });
});

describe('the shipped task files', () => {
  it('are exactly what scripts/make-tasks.ts writes, with disjoint train and test problems', async () => {
    const { readFileSync } = await import('node:fs');
    const { taskFiles, tasksToJsonl } = await import('./task-files');
    for (const [name, make] of Object.entries(taskFiles)) {
      expect(readFileSync(new URL(`../../../public/tasks/${name}`, import.meta.url), 'utf8'), name).toBe(
        tasksToJsonl(make()),
      );
    }
    const train = new Set(taskFiles['arithmetic-train.jsonl']().map((t) => t.question));
    expect(taskFiles['arithmetic-test.jsonl']().filter((t) => train.has(t.question))).toEqual([]);
  });
});
