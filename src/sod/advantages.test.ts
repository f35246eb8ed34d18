import { describe, expect, it } from 'vitest';
import { tokenAdvantages } from './advantages';
import { batchAdvantages } from './batch';
import { weighSteps } from './weights';

describe('tokenAdvantages', () => {
  const mask = [1, 1, 0, 1];
  const distillAdvantages = [0.5, -0.25, 0, 1];
  it('adds the outcome advantage on generated tokens to the distillation term for sod and opd', () => {
    expect(Array.from(tokenAdvantages('sod', { mask, grpoAdvantage: 2, distillAdvantages }))).toEqual([
      2.5, 1.75, 0, 3,
    ]);
    expect(Array.from(tokenAdvantages('opd', { mask, grpoAdvantage: -1, distillAdvantages }))).toEqual([
      -0.5, -1.25, 0, 0,
    ]);
  });
  it('keeps only the outcome term for grpo and only the distillation term for distill', () => {
    expect(Array.from(tokenAdvantages('grpo', { mask, grpoAdvantage: 2 }))).toEqual([2, 2, 0, 2]);
    expect(Array.from(tokenAdvantages('distill', { mask, distillAdvantages }))).toEqual(distillAdvantages);
  });
  it('says which input a method is missing', () => {
    expect(() => tokenAdvantages('sod', { mask, distillAdvantages })).toThrow(
      'grpo_advantage must be a finite number for method sod',
    );
    expect(() => tokenAdvantages('distill', { mask })).toThrow('distill_advantages are required for method distill');
    expect(() => tokenAdvantages('sod', { mask, grpoAdvantage: 1, distillAdvantages: [1] })).toThrow(
      'distill_advantages has length 1 but mask has length 4',
    );
  });
});

describe('batchAdvantages', () => {
  const a = {
    mask: [1, 1, 0, 1],
    studentLogprobs: [-1, -1, -5, -1],
    teacherLogprobs: [-1.5, -0.5, -1, -2],
    reward: 1,
    group: 'q1',
  };
  const b = {
    mask: [1, 0, 1],
    studentLogprobs: [-0.2, -3, -0.4],
    teacherLogprobs: [-0.2, -1, -0.1],
    reward: -1,
    group: 'q1',
  };
  const c = { mask: [0, 1], studentLogprobs: [-1, -1], teacherLogprobs: [-1, -1.5], reward: -0.8, group: 'q2' };

  it('composes step weighting, group advantages and per-token advantages', () => {
    const out = batchAdvantages([a, b, c], 'sod');
    const grpo = out.grpoAdvantages ?? [];
    expect(grpo[0]).toBeCloseTo(1 / (Math.SQRT2 + 1e-6), 12);
    expect(grpo[2]).toBeCloseTo(-0.8 / (1 + 1e-6), 12);
    const wa = weighSteps(a);
    out.advantages[0].forEach((x, t) => expect(x).toBeCloseTo(grpo[0] * a.mask[t] + wa.distillAdvantages[t], 12));
  });
  it('needs no teacher for grpo and no reward for distill', () => {
    const grpoOnly = batchAdvantages([{ mask: [1, 0], reward: 1, group: 0 }], 'grpo');
    expect(grpoOnly.weightings).toEqual([undefined]);
    expect(Array.from(grpoOnly.advantages[0])).toEqual([1 / (1 + 1e-6), 0]);
    const distill = batchAdvantages(
      [{ mask: c.mask, studentLogprobs: c.studentLogprobs, teacherLogprobs: c.teacherLogprobs }],
      'distill',
    );
    expect(distill.grpoAdvantages).toBeUndefined();
    expect(Array.from(distill.advantages[0])).toEqual([0, -0.5]);
  });
  it('names the trajectory and the field of a bad input', () => {
    expect(() => batchAdvantages([a, { ...b, mask: [1, 3, 1] }], 'sod')).toThrow(
      'trajectory 1: mask[1] must be 0 or 1, got 3',
    );
    expect(() => batchAdvantages([a, { mask: [1] }], 'opd')).toThrow(
      'trajectory 1: student_logprobs is missing (method opd needs it)',
    );
    expect(() => batchAdvantages([{ ...a, reward: undefined }], 'grpo')).toThrow('trajectory 0: reward is missing');
  });
});
