/**
 * SOD's situation, read off a scored rollout: a tool step goes wrong, the student keeps
 * writing, and the teacher's supervision of what follows becomes unreliable (large d_k),
 * so SOD's weight w_k dips below 1 on those steps and comes back up once the rollout is
 * back on track.
 */
import type { StepWeighting } from '../sod/weights';
import { answersMatch } from './answer';
import type { Trajectory } from './trajectory';

const mean = (xs: readonly number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);

/** The first tool call that failed or printed something other than the answer. */
export interface BadToolStep {
  /** The assistant turn (= step, 0-based) that made the call. */
  step: number;
  kind: 'tool error' | 'wrong tool result';
}

/**
 * The first bad tool step of a rollout of a one-call task (the synthetic arithmetic, whose
 * single call prints the answer), or undefined. A call that errs is bad; so is one whose
 * output does not match the reference answer.
 */
export function firstBadToolStep(t: Pick<Trajectory, 'tool_calls' | 'reference_answer'>): BadToolStep | undefined {
  for (const call of t.tool_calls) {
    if (call.error !== null) return { step: call.turn, kind: 'tool error' };
    if (!answersMatch(call.output.trim(), t.reference_answer)) return { step: call.turn, kind: 'wrong tool result' };
  }
  return undefined;
}

/** How the step weighting of one rollout responded to its bad tool step. */
export interface SituationReading {
  bad: BadToolStep;
  /** d_1, the first step's divergence. */
  firstDivergence: number;
  /** The mean d_k of the steps after the bad observation. */
  laterDivergence: number;
  /** w_k fell below 1 on a step after the bad observation and rose again on a later step. */
  dipsAndComesBack: boolean;
  /** ... and rose back to 1 or more. */
  dipsAndReturnsToFull: boolean;
}

/**
 * The reading of a rollout that has a bad tool step followed by at least one more assistant
 * step, or undefined when it has not. `weighting` is the rollout's SOD step weighting.
 */
export function readSituation(
  t: Pick<Trajectory, 'tool_calls' | 'reference_answer'>,
  weighting: Pick<StepWeighting, 'divergences' | 'weights'>,
): SituationReading | undefined {
  const bad = firstBadToolStep(t);
  const { divergences: d, weights: w } = weighting;
  if (bad === undefined || bad.step + 1 >= d.length) return undefined;
  const later = d.slice(bad.step + 1);
  const dip = w.findIndex((wk, k) => k > bad.step && wk < 1);
  const afterDip = dip < 0 ? [] : w.slice(dip + 1);
  return {
    bad,
    firstDivergence: d[0],
    laterDivergence: mean(later),
    dipsAndComesBack: afterDip.some((wk) => wk > w[dip]),
    dipsAndReturnsToFull: afterDip.some((wk) => wk >= 1),
  };
}

/** What a set of rollouts shows of SOD's situation. */
export interface SituationSummary {
  rollouts: number;
  /** Rollouts with a bad tool step followed by another assistant step. */
  withSituation: number;
  share: number;
  byKind: Record<BadToolStep['kind'], number>;
  /** Over those rollouts: mean d_1 and mean d_k after the bad observation. */
  meanFirstDivergence: number;
  meanLaterDivergence: number;
  /** meanLaterDivergence / meanFirstDivergence (0 when there is nothing to divide). */
  divergenceRatio: number;
  /** Of those rollouts, how many have w_k dip below 1 and rise again, and how many rise back to 1 or more. */
  dipsAndComesBack: number;
  dipsAndReturnsToFull: number;
  /** dipsAndComesBack / withSituation. */
  dipShare: number;
}

/** Sums the readings of `rollouts` rollouts (undefined readings are rollouts without the situation). */
export function summarizeSituations(readings: readonly (SituationReading | undefined)[]): SituationSummary {
  const found = readings.filter((r): r is SituationReading => r !== undefined);
  const first = mean(found.map((r) => r.firstDivergence));
  const later = mean(found.map((r) => r.laterDivergence));
  const dips = found.filter((r) => r.dipsAndComesBack).length;
  return {
    rollouts: readings.length,
    withSituation: found.length,
    share: readings.length === 0 ? 0 : found.length / readings.length,
    byKind: {
      'tool error': found.filter((r) => r.bad.kind === 'tool error').length,
      'wrong tool result': found.filter((r) => r.bad.kind === 'wrong tool result').length,
    },
    meanFirstDivergence: first,
    meanLaterDivergence: later,
    divergenceRatio: first > 0 ? later / first : 0,
    dipsAndComesBack: dips,
    dipsAndReturnsToFull: found.filter((r) => r.dipsAndReturnsToFull).length,
    dipShare: found.length === 0 ? 0 : dips / found.length,
  };
}
