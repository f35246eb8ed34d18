import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ppoLoss, defaultPpoSettings } from './loss';

const one = (logprob: number, old: number, advantage: number) =>
  ppoLoss({ logprobs: [logprob], oldLogprobs: [old], advantages: [advantage], mask: [1] });

describe('ppoLoss (hand-computed)', () => {
  it('is −A · ratio with gradient −A · ratio inside the clip range', () => {
    const r = one(Math.log(1.1) - 1, -1, 2);
    expect(r.loss).toBeCloseTo(-2.2, 12);
    expect(r.grad[0]).toBeCloseTo(-2.2, 12);
    expect(r.clipFraction).toBe(0);
    expect(r.approxKl).toBeCloseTo(-Math.log(1.1), 12);
  });
  it('clips a positive advantage above 1 + 0.28 and stops its gradient', () => {
    const r = one(Math.log(1.5), 0, 1);
    expect(r.loss).toBeCloseTo(-1.28, 12);
    expect(r.grad[0]).toBe(0);
    expect(r.clipFraction).toBe(1);
  });
  it('does not clip a positive advantage whose ratio fell: the unclipped term is larger', () => {
    const r = one(Math.log(0.5), 0, 1);
    expect(r.loss).toBeCloseTo(-0.5, 12);
    expect(r.grad[0]).toBeCloseTo(-0.5, 12);
  });
  it('clips a negative advantage below 1 − 0.2', () => {
    const r = one(Math.log(0.5), 0, -1);
    expect(r.loss).toBeCloseTo(0.8, 12);
    expect(r.grad[0]).toBe(0);
    expect(r.clipFraction).toBe(1);
  });
  it('caps a negative advantage with a runaway ratio at −A · 3 (dual clip)', () => {
    const r = one(Math.log(5), 0, -2);
    expect(r.loss).toBeCloseTo(6, 12);
    expect(r.grad[0]).toBe(0);
    expect(r.dualClipFraction).toBe(1);
    const below = one(Math.log(2), 0, -2);
    expect(below.loss).toBeCloseTo(4, 12);
    expect(below.grad[0]).toBeCloseTo(4, 12);
    expect(below.dualClipFraction).toBe(0);
  });
  it('clamps the log-ratio at ±20 and passes no gradient through the clamp', () => {
    // A > 0 with a collapsed ratio keeps the unclipped term, so only the clamp can stop the gradient.
    const r = one(-40, 0, 1);
    expect(r.loss).toBe(-Math.exp(-20));
    expect(Math.abs(r.grad[0])).toBe(0);
    expect(one(-19, 0, 1).grad[0]).toBeCloseTo(-Math.exp(-19), 20);
  });
  it('takes the token mean over masked tokens only', () => {
    const r = ppoLoss({ logprobs: [0, 0, 0], oldLogprobs: [0, 0, 0], advantages: [1, 100, 3], mask: [1, 0, 1] });
    expect(r.loss).toBeCloseTo(-2, 12);
    expect(Array.from(r.grad)).toEqual([-0.5, 0, -1.5]);
    expect(r.tokens).toBe(2);
  });
  it('adds up across sequences when given the minibatch token count', () => {
    const whole = ppoLoss({
      logprobs: [-1, -2, -0.5],
      oldLogprobs: [-1.1, -2, -0.4],
      advantages: [1, -1, 0.5],
      mask: [1, 1, 1],
    });
    const first = ppoLoss({ logprobs: [-1], oldLogprobs: [-1.1], advantages: [1], mask: [1] }, defaultPpoSettings, 3);
    const rest = ppoLoss(
      { logprobs: [-2, -0.5], oldLogprobs: [-2, -0.4], advantages: [-1, 0.5], mask: [1, 1] },
      defaultPpoSettings,
      3,
    );
    expect(first.loss + rest.loss).toBeCloseTo(whole.loss, 14);
    expect([...first.grad, ...rest.grad].map((g, i) => g - whole.grad[i]).every((d) => Math.abs(d) < 1e-15)).toBe(true);
  });
  it('is zero with no masked token', () => {
    const r = ppoLoss({ logprobs: [0], oldLogprobs: [0], advantages: [1], mask: [0] });
    expect([r.loss, r.grad[0], r.clipFraction, r.approxKl]).toEqual([0, 0, 0, 0]);
  });
  it('names bad inputs', () => {
    expect(() => ppoLoss({ logprobs: [NaN], oldLogprobs: [0], advantages: [1], mask: [1] })).toThrow(
      'logprobs[0] is NaN',
    );
    expect(() => ppoLoss({ logprobs: [0], oldLogprobs: [0, 1], advantages: [1], mask: [1] })).toThrow(
      'old_logprobs has length 2 but mask has length 1',
    );
  });
});

describe('ppoLoss gradient', () => {
  it('matches central finite differences away from the clip kinks', () => {
    const token = fc.record({
      logRatio: fc.double({ min: -1.5, max: 1.5, noNaN: true }),
      old: fc.double({ min: -8, max: 0, noNaN: true }),
      advantage: fc.double({ min: -3, max: 3, noNaN: true }),
      m: fc.constantFrom(0, 1),
    });
    fc.assert(
      fc.property(fc.array(token, { minLength: 1, maxLength: 12 }), (tokens) => {
        const inputs = {
          logprobs: tokens.map((x) => x.old + x.logRatio),
          oldLogprobs: tokens.map((x) => x.old),
          advantages: tokens.map((x) => x.advantage),
          mask: tokens.map((x) => x.m),
        };
        const base = ppoLoss(inputs);
        const h = 1e-6;
        tokens.forEach((x, t) => {
          const ratio = Math.exp(x.logRatio);
          // Skip tokens within h of a kink of the piecewise loss.
          const kinks = [0.8, 1.28, 3].map(Math.log);
          if (kinks.some((k) => Math.abs(x.logRatio - k) < 1e-4)) return;
          const shifted = (delta: number) =>
            ppoLoss({ ...inputs, logprobs: inputs.logprobs.map((v, i) => (i === t ? v + delta : v)) }).loss;
          const numeric = (shifted(h) - shifted(-h)) / (2 * h);
          expect(Math.abs(base.grad[t] - numeric)).toBeLessThan(1e-6 * Math.max(1, ratio * Math.abs(x.advantage)));
        });
      }),
    );
  });
});
