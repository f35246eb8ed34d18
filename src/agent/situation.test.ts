import { describe, expect, it } from 'vitest';
import { weighSteps } from '../sod/weights';
import { firstBadToolStep, readSituation, summarizeSituations } from './situation';
import type { ToolCallRecord } from './trajectory';

const call = (turn: number, output: string, error: string | null = null): ToolCallRecord => ({
  turn,
  code: 'print(1)',
  output,
  error,
  duration_ms: 0,
});

/** Scores whose steps (runs of 1 in `mask`) have the given mean |s − τ|. */
function scoresWithDivergences(d: number[]) {
  const mask: number[] = [];
  const student: number[] = [];
  const teacher: number[] = [];
  for (const dk of d) {
    mask.push(1, 1, 0);
    student.push(-0.1, -0.1, 0);
    teacher.push(-0.1 - dk, -0.1 - dk, 0);
  }
  return { mask, studentLogprobs: student, teacherLogprobs: teacher };
}

describe('firstBadToolStep', () => {
  it('finds the first call that errs or prints something other than the answer', () => {
    expect(firstBadToolStep({ reference_answer: '42', tool_calls: [call(0, '42\n')] })).toBeUndefined();
    expect(
      firstBadToolStep({ reference_answer: '42', tool_calls: [call(0, '', 'SyntaxError'), call(1, '42\n')] }),
    ).toEqual({ step: 0, kind: 'tool error' });
    expect(firstBadToolStep({ reference_answer: '42', tool_calls: [call(0, '42\n'), call(1, '41\n')] })).toEqual({
      step: 1,
      kind: 'wrong tool result',
    });
  });
});

describe('readSituation', () => {
  it('reads d_1, the mean d after the bad observation, and a dip of w_k that comes back', () => {
    // A failed call (d 0.2), a drifting retry (d 1.0, w 0.2), then an answer back in line (d 0.1, w 1.2).
    const weighting = weighSteps(scoresWithDivergences([0.2, 1.0, 0.1]));
    const reading = readSituation(
      { reference_answer: '42', tool_calls: [call(0, '', 'NameError'), call(1, '42\n')] },
      weighting,
    );
    expect(reading?.bad).toEqual({ step: 0, kind: 'tool error' });
    expect(reading?.firstDivergence).toBeCloseTo(0.2, 9);
    expect(reading?.laterDivergence).toBeCloseTo(0.55, 9);
    expect(reading?.dipsAndComesBack).toBe(true);
    expect(reading?.dipsAndReturnsToFull).toBe(true);
  });

  it('tells a dip that rises part of the way from one that never comes back', () => {
    const read = (d: number[]) =>
      readSituation(
        { reference_answer: '42', tool_calls: [call(0, '7\n'), call(1, '42\n')] },
        weighSteps(scoresWithDivergences(d)),
      );
    // w = [1, 0.2, 0.25]: up again, not to 1.
    expect(read([0.2, 1.0, 0.8])).toMatchObject({ dipsAndComesBack: true, dipsAndReturnsToFull: false });
    // w = [1, 0.25, 0.2]: still falling.
    expect(read([0.2, 0.8, 1.0])).toMatchObject({ dipsAndComesBack: false, dipsAndReturnsToFull: false });
    expect(read([0.2, 0.8, 1.0])?.bad.kind).toBe('wrong tool result');
  });

  it('needs an assistant step after the bad observation', () => {
    const weighting = weighSteps(scoresWithDivergences([0.2]));
    expect(readSituation({ reference_answer: '42', tool_calls: [call(0, '7\n')] }, weighting)).toBeUndefined();
  });
});

describe('summarizeSituations', () => {
  it('counts the rollouts with the situation and compares their mean divergences', () => {
    const bad = { step: 0, kind: 'tool error' as const };
    const summary = summarizeSituations([
      { bad, firstDivergence: 0.2, laterDivergence: 1.0, dipsAndComesBack: true, dipsAndReturnsToFull: false },
      {
        bad: { ...bad, kind: 'wrong tool result' },
        firstDivergence: 0.4,
        laterDivergence: 0.2,
        dipsAndComesBack: false,
        dipsAndReturnsToFull: false,
      },
      undefined,
      undefined,
    ]);
    expect(summary).toMatchObject({
      rollouts: 4,
      withSituation: 2,
      share: 0.5,
      dipsAndComesBack: 1,
      dipsAndReturnsToFull: 0,
      dipShare: 0.5,
    });
    expect(summary.byKind).toEqual({ 'tool error': 1, 'wrong tool result': 1 });
    expect(summary.divergenceRatio).toBeCloseTo(0.6 / 0.3, 9);
  });
});
