import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { outcomeReward } from './reward';
import { grpoAdvantages, groupStatistics } from './grpo';

describe('outcomeReward', () => {
  it('gives +1 for a right answer whatever the turns', () => {
    expect(outcomeReward(true, 2)).toBe(1);
    expect(outcomeReward(true, 9)).toBe(1);
  });
  it('gives −1 for a wrong answer without a tool call (turns = 2)', () => {
    expect(outcomeReward(false, 2)).toBe(-1);
  });
  it('credits tool use: two calls and a wrong answer (turns = 6) give −0.8', () => {
    expect(outcomeReward(false, 4)).toBeCloseTo(-0.9, 12);
    expect(outcomeReward(false, 6)).toBeCloseTo(-0.8, 12);
  });
  it('never rises above −0.6 however many turns', () => {
    expect(outcomeReward(false, 10)).toBeCloseTo(-0.6, 12);
    expect(outcomeReward(false, 40)).toBe(-0.6);
  });
  it('refuses a turn count that is not a positive integer', () => {
    expect(() => outcomeReward(false, 0)).toThrow('turns must be an integer ≥ 1, got 0');
    expect(() => outcomeReward(false, 2.5)).toThrow(/turns/);
  });
});

describe('grpoAdvantages', () => {
  it('normalises within a group with the unbiased std', () => {
    // mean 0, unbiased variance = 4/3
    const a = grpoAdvantages([1, -1, -1, 1], ['p', 'p', 'p', 'p']);
    const expected = 1 / (Math.sqrt(4 / 3) + 1e-6);
    expect(a[0]).toBeCloseTo(expected, 12);
    expect(a[1]).toBeCloseTo(-expected, 12);
  });
  it('treats a group of one as mean 0, std 1', () => {
    expect(grpoAdvantages([-0.8], [7])[0]).toBe(-0.8 / (1 + 1e-6));
    expect(groupStatistics([3])).toEqual({ mean: 0, std: 1 });
  });
  it('keeps groups apart and gives equal rewards an advantage of 0', () => {
    const a = grpoAdvantages([1, 1, -1, 0.5, -1], ['x', 'x', 'y', 'z', 'y']);
    expect(a[0]).toBe(0);
    expect(a[1]).toBe(0);
    expect(a[2]).toBe(0);
    expect(a[3]).toBe(0.5 / (1 + 1e-6));
  });
  it('sums to zero within every group of two or more', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ r: fc.double({ min: -1, max: 1, noNaN: true }), g: fc.integer({ min: 0, max: 3 }) }), {
          maxLength: 30,
        }),
        (rows) => {
          const a = grpoAdvantages(
            rows.map((x) => x.r),
            rows.map((x) => x.g),
          );
          for (let g = 0; g <= 3; g++) {
            const idx = rows.flatMap((x, i) => (x.g === g ? [i] : []));
            if (idx.length < 2) continue;
            expect(Math.abs(idx.reduce((s, i) => s + a[i], 0))).toBeLessThan(1e-6 * idx.length);
          }
        },
      ),
    );
  });
  it('refuses a non-finite reward and mismatched lengths, naming them', () => {
    expect(() => grpoAdvantages([1, NaN], ['a', 'a'])).toThrow('reward[1] is NaN');
    expect(() => grpoAdvantages([1], ['a', 'b'])).toThrow('group has 2 entries but reward has 1');
  });
});
