import { generateArithmeticTasks } from './arithmetic';
import { competitionTasks } from './competition';
import type { Task } from './task';

/** The task sets shipped in public/tasks/, exactly as scripts/make-tasks.ts writes them. */
const trainTasks = () => generateArithmeticTasks(1000, 1, 'arith-train');

export const taskFiles: Record<string, () => Task[]> = {
  'arithmetic-train.jsonl': trainTasks,
  'arithmetic-test.jsonl': () =>
    generateArithmeticTasks(200, 2, 'arith-test', new Set(trainTasks().map((t) => t.question))),
  'competition.jsonl': competitionTasks,
};

export function tasksToJsonl(tasks: readonly Task[]): string {
  return tasks.map((t) => JSON.stringify(t)).join('\n') + '\n';
}
