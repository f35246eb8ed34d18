import type { ArithmeticKind } from '../../agent/tasks/arithmetic';
import { arithmeticKinds } from '../../agent/tasks/arithmetic';
import type { Task } from '../../agent/tasks/task';
import { formatToolCall } from '../../agent/tool-call';

/** What the demo teacher thinks and runs for each kind of synthetic problem, from the numbers in the question. */
const plans: Record<ArithmeticKind, { think: string; code: (n: string[]) => string }> = {
  product: { think: 'I multiply the two numbers with the tool.', code: ([a, b]) => `print(${a} * ${b})` },
  'power-mod': { think: 'I use pow with a modulus.', code: ([b, e, m]) => `print(pow(${b}, ${e}, ${m}))` },
  'sequence-sum': {
    think: 'I add up the terms with the tool.',
    code: ([a, d, n]) => `print(sum(${a} + ${d} * i for i in range(${n})))`,
  },
  binomial: {
    think: 'This is a binomial coefficient.',
    code: ([k, n]) => `from math import comb\nprint(comb(${n}, ${k}))`,
  },
  'product-mod': { think: 'I multiply and take the remainder.', code: ([a, b, m]) => `print(${a} * ${b} % ${m})` },
  'digit-sum': {
    think: 'I sum the digits of the power.',
    code: ([b, e]) => `print(sum(int(c) for c in str(${b} ** ${e})))`,
  },
};

/** The kind of a synthetic arithmetic task, from its `source` (synthetic-arithmetic/<kind>). */
export function arithmeticKindOf(task: Task): ArithmeticKind {
  const kind = arithmeticKinds.find((k) => task.source === `synthetic-arithmetic/${k}`);
  if (kind === undefined)
    throw new Error(`task ${task.id}: not a synthetic arithmetic task (source ${JSON.stringify(task.source)})`);
  return kind;
}

/** The Python the demo teacher runs for a task. */
export function teacherCode(task: Task): string {
  const numbers = task.question.match(/\d+/g) ?? [];
  return plans[arithmeticKindOf(task)].code(numbers);
}

/**
 * The demo teacher's two turns, written as Qwen3 writes turns (a <think> block first): one
 * tool call that computes the answer, then the answer read back from the tool's output.
 * `toolOutput` is what the tool printed; the boxed answer copies it.
 */
export function teacherTurns(task: Task, toolOutput = task.answer): string[] {
  const printed = toolOutput.trim();
  return [
    `<think>\n${plans[arithmeticKindOf(task)].think}\n</think>\n\n${formatToolCall(teacherCode(task))}`,
    `<think>\nThe tool printed ${printed}.\n</think>\n\nThe answer is \\boxed{${printed}}.`,
  ];
}

/**
 * The slips the demo *student* was taught to make on five of the six kinds of problem, with
 * the fix it writes after the tool's error: the question's × or "mod" copied into Python, comb
 * without its import, or the digits of a number summed as text. The teacher never saw them, so
 * after such an error it is off its own distribution: the situation SOD's step weights are for.
 * Sequence sums have none, so some problems stay clean even for a greedy student.
 */
const slips: Partial<Record<ArithmeticKind, { code: (n: string[]) => string; fix: string }>> = {
  product: { code: ([a, b]) => `print(${a} × ${b})`, fix: 'Python writes × as *.' },
  'product-mod': { code: ([a, b, m]) => `print(${a} × ${b} % ${m})`, fix: 'Python writes × as *.' },
  binomial: { code: ([k, n]) => `print(comb(${n}, ${k}))`, fix: 'comb has to be imported from math.' },
  'digit-sum': { code: ([b, e]) => `print(sum(str(${b} ** ${e})))`, fix: 'The digits have to be turned into int.' },
  'power-mod': {
    code: ([b, e, m]) => `print(${b} ** ${e} mod ${m})`,
    fix: 'Python has no mod; pow takes the modulus.',
  },
};

/**
 * A solution with a slip, for the kinds that have one (else undefined): the slipped call, a
 * second call with the teacher's code after the error, and the teacher's answer turn.
 */
export function slipTurns(task: Task): string[] | undefined {
  const kind = arithmeticKindOf(task);
  const slip = slips[kind];
  if (slip === undefined) return undefined;
  const numbers = task.question.match(/\d+/g) ?? [];
  const [, answer] = teacherTurns(task);
  return [
    `<think>\n${plans[kind].think}\n</think>\n\n${formatToolCall(slip.code(numbers))}`,
    `<think>\nThe code failed. ${slip.fix}\n</think>\n\n${formatToolCall(teacherCode(task))}`,
    answer,
  ];
}
