import { seededUniform } from '../../core/random';
import type { Task } from './task';

/** The kinds of synthetic tool-arithmetic problems; each needs one to three tool calls to get right. */
export const arithmeticKinds = [
  'product',
  'power-mod',
  'sequence-sum',
  'binomial',
  'product-mod',
  'digit-sum',
] as const;
export type ArithmeticKind = (typeof arithmeticKinds)[number];

function binomial(n: number, k: number): bigint {
  let r = 1n;
  for (let i = 1; i <= k; i++) r = (r * BigInt(n - k + i)) / BigInt(i);
  return r;
}

function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let result = 1n;
  let b = base % mod;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % mod;
    b = (b * b) % mod;
    e >>= 1n;
  }
  return result;
}

/**
 * Seeded synthetic problems whose answers are exact integers too large or fiddly to get
 * right without computing: large products, modular powers, sums of sequences,
 * combinatorial counts. The same (seed, n) always gives the same tasks; no question repeats
 * or appears in `exclude` (so a test set can be kept apart from a training set).
 */
export function generateArithmeticTasks(
  n: number,
  seed: number,
  prefix = 'arith',
  exclude: ReadonlySet<string> = new Set(),
): Task[] {
  const rand = seededUniform(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const tasks: Task[] = [];
  const seen = new Set(exclude);
  for (let i = 0; tasks.length < n; i++) {
    if (i > 100 * n) throw new Error(`could not find ${n} distinct problems outside the excluded set`);
    const kind = arithmeticKinds[Math.floor(rand() * arithmeticKinds.length)];
    let question: string;
    let answer: bigint;
    switch (kind) {
      case 'product': {
        const a = int(1000, 99999);
        const b = int(1000, 99999);
        question = `What is ${a} × ${b}?`;
        answer = BigInt(a) * BigInt(b);
        break;
      }
      case 'power-mod': {
        const b = int(2, 99);
        const e = int(20, 200);
        const m = int(97, 9973);
        question = `What is the remainder when ${b}^${e} is divided by ${m}?`;
        answer = modPow(BigInt(b), BigInt(e), BigInt(m));
        break;
      }
      case 'sequence-sum': {
        const a = int(1, 50);
        const d = int(2, 19);
        const count = int(20, 400);
        question = `An arithmetic sequence starts at ${a} and each term is ${d} more than the one before. What is the sum of its first ${count} terms?`;
        answer = BigInt(count) * BigInt(a) + (BigInt(d) * BigInt(count) * BigInt(count - 1)) / 2n;
        break;
      }
      case 'binomial': {
        const total = int(12, 40);
        const k = int(3, Math.min(12, total - 2));
        question = `In how many ways can a committee of ${k} people be chosen from ${total} people?`;
        answer = binomial(total, k);
        break;
      }
      case 'product-mod': {
        const a = int(10000, 999999);
        const b = int(10000, 999999);
        const m = int(1000, 99999);
        question = `What is (${a} × ${b}) mod ${m}?`;
        answer = (BigInt(a) * BigInt(b)) % BigInt(m);
        break;
      }
      case 'digit-sum': {
        const b = int(2, 9);
        const e = int(30, 120);
        question = `What is the sum of the digits of ${b}^${e}?`;
        answer = [...(BigInt(b) ** BigInt(e)).toString()].reduce((s, d) => s + BigInt(d), 0n);
        break;
      }
    }
    if (seen.has(question)) continue;
    seen.add(question);
    tasks.push({
      id: `${prefix}-${seed}-${tasks.length}`,
      question,
      answer: answer.toString(),
      source: `synthetic-arithmetic/${kind}`,
    });
  }
  return tasks;
}
