import { SodInputError } from './validate';

/**
 * The outcome reward (docs/algorithm.md, Outcome reward): +1 for a right boxed answer; otherwise
 * −1 plus a small credit for using the tool, never above −0.6.
 *
 * turns = 1 (the prompt) + assistant turns + tool-response turns, so an answer with
 * no tool call has turns = 2 (r = −1) and two calls with a wrong answer turns = 6 (r = −0.8).
 */
export function outcomeReward(correct: boolean, turns: number): number {
  if (!Number.isInteger(turns) || turns < 1) {
    throw new SodInputError('turns', undefined, `must be an integer ≥ 1, got ${turns}`);
  }
  if (correct) return 1;
  return Math.min(-0.6, -1 + (0.1 * (turns - 2)) / 2);
}
