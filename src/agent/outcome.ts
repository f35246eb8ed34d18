import { answersMatch } from './answer';
import type { Trajectory } from './trajectory';

/** How a tool-arithmetic trajectory turned out: right, or the first kind of mistake it made. */
export const outcomes = [
  'right',
  'no tool call',
  'tool error',
  'wrong tool result',
  'miscopied answer',
  'no answer',
] as const;
export type Outcome = (typeof outcomes)[number];

/**
 * The mistakes SOD is about, told apart from a trajectory alone: answering without the tool,
 * a call that failed (malformed call, Python error, time-out), code that ran but computed
 * something else, a right tool result copied wrongly into the answer, or no answer at all.
 */
export function classifyOutcome(
  t: Pick<Trajectory, 'correct' | 'answer' | 'tool_calls' | 'reference_answer'>,
): Outcome {
  if (t.correct) return 'right';
  if (t.tool_calls.length === 0) return t.answer === null ? 'no answer' : 'no tool call';
  if (t.tool_calls.some((c) => c.error !== null)) return 'tool error';
  if (!t.tool_calls.some((c) => answersMatch(c.output.trim(), t.reference_answer))) return 'wrong tool result';
  return t.answer === null ? 'no answer' : 'miscopied answer';
}

/** How many trajectories ended each way. */
export function countOutcomes(trajectories: readonly Trajectory[]): Record<Outcome, number> {
  const counts: Record<Outcome, number> = {
    right: 0,
    'no tool call': 0,
    'tool error': 0,
    'wrong tool result': 0,
    'miscopied answer': 0,
    'no answer': 0,
  };
  for (const t of trajectories) counts[classifyOutcome(t)]++;
  return counts;
}
