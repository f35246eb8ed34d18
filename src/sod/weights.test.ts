import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { stepSpans } from './steps';
import { runningProducts, stepWeights, weighSteps, type TokenScores } from './weights';
import { SodInputError } from './validate';

/** Builds token scores whose per-token |s − τ| are the given gaps (teacher below student by the gap). */
function scoresWithGaps(gaps: number[], mask: number[]): TokenScores {
  const studentLogprobs = gaps.map((_, t) => -0.5 - 0.01 * t);
  return { studentLogprobs, teacherLogprobs: studentLogprobs.map((s, t) => s - gaps[t]), mask };
}

describe('stepSpans', () => {
  it('splits the mask into maximal runs of ones', () => {
    expect(stepSpans([1, 1, 0, 0, 1, 0, 1, 1, 1])).toEqual([
      [0, 2],
      [4, 5],
      [6, 9],
    ]);
  });
  it('handles tool output at the start and at the end', () => {
    expect(stepSpans([0, 0, 1, 1, 1, 0])).toEqual([[2, 5]]);
    expect(stepSpans([1, 1, 0, 0])).toEqual([[0, 2]]);
  });
  it('gives zero steps for an all-zero or empty mask', () => {
    expect(stepSpans([0, 0, 0])).toEqual([]);
    expect(stepSpans([])).toEqual([]);
  });
  it('partitions exactly the generated tokens into separated runs', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(0, 1), { maxLength: 60 }), (mask) => {
        const spans = stepSpans(mask);
        const covered = new Array<number>(mask.length).fill(0);
        for (const [start, end] of spans) {
          expect(end).toBeGreaterThan(start);
          for (let t = start; t < end; t++) covered[t] = 1;
          if (start > 0) expect(mask[start - 1]).toBe(0);
          if (end < mask.length) expect(mask[end]).toBe(0);
        }
        expect(covered).toEqual(mask);
      }),
    );
  });
});

describe('weighSteps (hand-computed)', () => {
  // Step 1 close to the teacher, step 2 drifts after a tool error, step 3 recovers.
  // ε = 0.1 keeps the arithmetic exact: d = [0.1, 0.7, 0.0]
  //   P_2 = (0.1+0.1)/(0.7+0.1) = 0.25 → w_2 = 0.25 (suppressed)
  //   P_3 = P_2 · (0.7+0.1)/(0.0+0.1) = 2 → w_3 = min(2, 1 + 0.2) = 1.2 (restored, capped)
  const mask = [1, 1, 0, 0, 0, 1, 1, 0, 1, 1, 1];
  const gaps = [0.1, 0.1, 9, 9, 9, 0.6, 0.8, 9, 0, 0, 0];
  const scores = scoresWithGaps(gaps, mask);
  const result = weighSteps(scores, { epsilon: 0.1, delta: 0.2, coef: 2 });

  it('finds the steps and their divergences', () => {
    expect(result.steps).toEqual([
      [0, 2],
      [5, 7],
      [8, 11],
    ]);
    expect(result.tokensPerStep).toEqual([2, 2, 3]);
    result.divergences.forEach((d, k) => expect(d).toBeCloseTo([0.1, 0.7, 0][k], 12));
  });
  it('suppresses the drifted middle step and restores the recovered one up to 1 + δ', () => {
    expect(result.runningProducts[0]).toBe(1);
    expect(result.runningProducts[1]).toBeCloseTo(0.25, 12);
    expect(result.runningProducts[2]).toBeCloseTo(2, 12);
    expect(result.weights[0]).toBe(1);
    expect(result.weights[1]).toBeCloseTo(0.25, 12);
    expect(result.weights[2]).toBeCloseTo(1.2, 12);
  });
  it('spreads weights over tokens, zero on tool output', () => {
    const expected = [1, 1, 0, 0, 0, 0.25, 0.25, 0, 1.2, 1.2, 1.2];
    Array.from(result.tokenWeights).forEach((w, t) => expect(w).toBeCloseTo(expected[t], 12));
  });
  it('scales the distillation advantage by c · w · (τ − s), zero where masked', () => {
    // τ − s = −gap on generated tokens; c = 2.
    const expected = [-0.2, -0.2, 0, 0, 0, -0.3, -0.4, 0, -0, -0, -0];
    Array.from(result.distillAdvantages).forEach((a, t) => expect(a).toBeCloseTo(expected[t], 12));
  });
  it('keeps every weight at 1 for opd, with the same divergences', () => {
    const opd = weighSteps(scores, { epsilon: 0.1, delta: 0.2, coef: 2 }, 'opd');
    expect(opd.weights).toEqual([1, 1, 1]);
    expect(opd.divergences).toEqual(result.divergences);
    expect(opd.distillAdvantages[5]).toBeCloseTo(-1.2, 12);
  });
  it('uses the default ε = 1e-6 and δ = 0.2', () => {
    const byDefault = weighSteps(scores);
    expect(byDefault.weights[1]).toBeCloseTo((0.1 + 1e-6) / (0.7 + 1e-6), 12);
    expect(byDefault.weights[2]).toBe(1.2);
  });
  it('gives a single step the weight 1', () => {
    const one = weighSteps(scoresWithGaps([0.3, 0.5], [1, 1]));
    expect(one.weights).toEqual([1]);
    expect(one.divergences[0]).toBeCloseTo(0.4, 12);
  });
  it('gives zero steps and no error for an all-zero mask', () => {
    const none = weighSteps(scoresWithGaps([0.3, 0.5], [0, 0]));
    expect(none.steps).toEqual([]);
    expect(Array.from(none.tokenWeights)).toEqual([0, 0]);
    expect(Array.from(none.distillAdvantages)).toEqual([0, 0]);
  });
});

describe('weighSteps (properties)', () => {
  const trajectory = fc
    .array(
      fc.record({
        m: fc.constantFrom(0, 1),
        s: fc.double({ min: -20, max: 0, noNaN: true }),
        tau: fc.double({ min: -20, max: 0, noNaN: true }),
      }),
      { maxLength: 80 },
    )
    .map((tokens) => ({
      mask: tokens.map((x) => x.m),
      studentLogprobs: tokens.map((x) => x.s),
      teacherLogprobs: tokens.map((x) => x.tau),
    }));
  const settings = fc.record({
    epsilon: fc.double({ min: 1e-9, max: 1, noNaN: true }),
    delta: fc.double({ min: 0, max: 2, noNaN: true }),
    coef: fc.double({ min: -3, max: 3, noNaN: true }),
  });

  it('satisfies the telescoping identity P_k = (d_1 + ε)/(d_k + ε)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 30, noNaN: true }), { minLength: 1, maxLength: 40 }),
        fc.double({ min: 1e-9, max: 1, noNaN: true }),
        (d, epsilon) => {
          const products = runningProducts(d, epsilon);
          products.forEach((p, k) => {
            const telescoped = (d[0] + epsilon) / (d[k] + epsilon);
            expect(Math.abs(p - telescoped)).toBeLessThanOrEqual(1e-9 * telescoped);
          });
        },
      ),
    );
  });

  it('caps weights at 1 + δ, keeps w_1 = 1 and follows the definition token by token', () => {
    fc.assert(
      fc.property(trajectory, settings, (scores, s) => {
        const r = weighSteps(scores, s);
        expect(r.weights.length).toBe(r.steps.length);
        if (r.weights.length > 0) expect(r.weights[0]).toBe(1);
        r.weights.forEach((w, k) => {
          expect(w).toBeLessThanOrEqual(1 + s.delta);
          expect(w).toBeGreaterThan(0);
          if (k > 0) expect(w).toBe(Math.min(r.runningProducts[k], 1 + s.delta));
        });
        expect(stepWeights(r.divergences, s)).toEqual(r.weights);
        for (let t = 0; t < scores.mask.length; t++) {
          if (scores.mask[t] === 0) {
            expect(r.tokenWeights[t]).toBe(0);
            expect(r.distillAdvantages[t]).toBe(0);
          } else {
            const expected = s.coef * r.tokenWeights[t] * (scores.teacherLogprobs[t] - scores.studentLogprobs[t]);
            expect(r.distillAdvantages[t]).toBe(expected);
          }
        }
      }),
    );
  });
});

describe('input checks', () => {
  const ok = { studentLogprobs: [-1, -2], teacherLogprobs: [-1, -1], mask: [1, 1] };
  function refusal(fn: () => unknown): SodInputError {
    try {
      fn();
    } catch (err) {
      if (err instanceof SodInputError) return err;
      throw err;
    }
    throw new Error('expected a SodInputError');
  }
  it('names the field and position of a NaN or infinite log-prob', () => {
    const e = refusal(() => weighSteps({ ...ok, teacherLogprobs: [-1, NaN] }));
    expect(e.message).toBe('teacher_logprobs[1] is NaN');
    expect([e.field, e.index]).toEqual(['teacher_logprobs', 1]);
    expect(refusal(() => weighSteps({ ...ok, studentLogprobs: [-Infinity, -1] })).message).toBe(
      'student_logprobs[0] is -Infinity',
    );
    expect(refusal(() => weighSteps({ ...ok, studentLogprobs: [Infinity, -1] })).message).toBe(
      'student_logprobs[0] is +Infinity',
    );
  });
  it('refuses arrays of unequal length', () => {
    expect(refusal(() => weighSteps({ ...ok, teacherLogprobs: [-1] })).message).toBe(
      'teacher_logprobs has length 1 but mask has length 2',
    );
  });
  it('refuses a mask value other than 0 or 1', () => {
    expect(refusal(() => weighSteps({ ...ok, mask: [1, 2] })).message).toBe('mask[1] must be 0 or 1, got 2');
    expect(refusal(() => weighSteps({ ...ok, mask: [0.5, 1] })).message).toBe('mask[0] must be 0 or 1, got 0.5');
  });
  it('refuses ε ≤ 0 and δ < 0', () => {
    expect(refusal(() => weighSteps(ok, { epsilon: 0, delta: 0.2, coef: 1 })).message).toBe(
      'epsilon must be > 0, got 0',
    );
    expect(refusal(() => weighSteps(ok, { epsilon: -1, delta: 0.2, coef: 1 })).field).toBe('epsilon');
    expect(refusal(() => weighSteps(ok, { epsilon: 1e-6, delta: -0.1, coef: 1 })).message).toBe(
      'delta must be ≥ 0, got -0.1',
    );
  });
  it('accepts δ = 0 (no step may exceed weight 1)', () => {
    expect(weighSteps(scoresWithGaps([1, 0, 0.01], [1, 0, 1]), { epsilon: 1e-6, delta: 0, coef: 1 }).weights).toEqual([
      1, 1,
    ]);
  });
});
