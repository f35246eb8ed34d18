import { describe, expect, it } from 'vitest';
import { batchStepMetrics } from './metrics';
import { weighSteps } from './weights';

describe('batchStepMetrics', () => {
  it('averages d_k and w_k over the batch and per step index', () => {
    const first = weighSteps(
      { mask: [1, 0, 1, 1], studentLogprobs: [0, 0, 0, 0], teacherLogprobs: [-0.2, 0, -0.4, -0.4] },
      { epsilon: 0.2, delta: 0.2, coef: 1 },
    );
    const second = weighSteps({ mask: [1, 1], studentLogprobs: [0, 0], teacherLogprobs: [-1, -1] });
    // first: d = [0.2, 0.4], w = [1, 0.4/0.6]; second: d = [1], w = [1]
    const m = batchStepMetrics([first, second]);
    expect(m.trajectories).toBe(2);
    expect(m.steps).toBe(3);
    expect(m.meanDivergence).toBeCloseTo((0.2 + 0.4 + 1) / 3, 12);
    expect(m.meanWeight).toBeCloseTo((1 + 2 / 3 + 1) / 3, 12);
    expect(m.meanTokenWeight).toBeCloseTo((1 + 2 * (2 / 3) + 2) / 5, 12);
    expect(m.byStep).toHaveLength(2);
    expect(m.byStep[0]).toMatchObject({ step: 1, count: 2, meanWeight: 1 });
    expect(m.byStep[0].meanDivergence).toBeCloseTo(0.6, 12);
    expect(m.byStep[1].count).toBe(1);
    expect(m.byStep[1].meanWeight).toBeCloseTo(2 / 3, 12);
  });
  it('is all zeros for an empty batch', () => {
    expect(batchStepMetrics([])).toEqual({
      trajectories: 0,
      steps: 0,
      meanDivergence: 0,
      meanWeight: 0,
      meanTokenWeight: 0,
      byStep: [],
    });
  });
});
