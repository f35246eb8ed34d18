import { tokenAdvantages, usesReward, usesTeacher, type Method } from './advantages';
import { grpoAdvantages, type GroupKey } from './grpo';
import { checkMask, SodInputError, type Numbers } from './validate';
import { defaultStepSettings, weighSteps, type StepSettings, type StepWeighting } from './weights';

/** One trajectory of a batch, with what the method needs of it. */
export interface BatchTrajectory {
  mask: Numbers; //                (T)
  studentLogprobs?: Numbers; //    (T) needed unless the method is grpo
  teacherLogprobs?: Numbers; //    (T) needed unless the method is grpo
  reward?: number; //              needed unless the method is distill
  group?: GroupKey; //             needed unless the method is distill
}

export interface BatchAdvantages {
  /** Per trajectory; undefined for grpo, which has no distillation term. */
  weightings: (StepWeighting | undefined)[];
  /** Per trajectory; undefined for distill, which has no outcome term. */
  grpoAdvantages: number[] | undefined;
  /** Per trajectory, (T) A_t. */
  advantages: Float64Array[];
}

/** Runs `fn`, prefixing any input error with the trajectory it concerns. */
function forTrajectory<T>(i: number, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof SodInputError) throw new SodInputError(`trajectory ${i}: ${err.field}`, err.index, err.detail);
    throw err;
  }
}

/** The step weighting of one trajectory under `method`, or undefined when the method has no distillation term. */
export function weighTrajectory(
  item: BatchTrajectory,
  method: Method,
  settings: StepSettings,
): StepWeighting | undefined {
  if (!usesTeacher(method)) return undefined;
  const { studentLogprobs, teacherLogprobs, mask } = item;
  if (studentLogprobs === undefined)
    throw new SodInputError('student_logprobs', undefined, `is missing (method ${method} needs it)`);
  if (teacherLogprobs === undefined)
    throw new SodInputError('teacher_logprobs', undefined, `is missing (method ${method} needs it)`);
  return weighSteps({ studentLogprobs, teacherLogprobs, mask }, settings, method === 'opd' ? 'opd' : 'sod');
}

/**
 * Everything docs/algorithm.md computes for a batch: step weights per
 * trajectory, GRPO advantages per prompt group, and the per-token advantage A_t.
 */
export function batchAdvantages(
  batch: readonly BatchTrajectory[],
  method: Method,
  settings: StepSettings = defaultStepSettings,
): BatchAdvantages {
  const weightings = batch.map((item, i) =>
    forTrajectory(i, () => {
      checkMask('mask', item.mask);
      return weighTrajectory(item, method, settings);
    }),
  );
  let grpo: number[] | undefined;
  if (usesReward(method)) {
    const rewards = batch.map((item, i) =>
      forTrajectory(i, () => {
        if (item.reward === undefined)
          throw new SodInputError('reward', undefined, `is missing (method ${method} needs it)`);
        return item.reward;
      }),
    );
    const groups = batch.map((item, i) =>
      forTrajectory(i, () => {
        if (item.group === undefined)
          throw new SodInputError('group', undefined, `is missing (method ${method} needs it)`);
        return item.group;
      }),
    );
    grpo = grpoAdvantages(rewards, groups);
  }
  const advantages = batch.map((item, i) =>
    forTrajectory(i, () =>
      tokenAdvantages(method, {
        mask: item.mask,
        grpoAdvantage: grpo?.[i],
        distillAdvantages: weightings[i]?.distillAdvantages,
      }),
    ),
  );
  return { weightings, grpoAdvantages: grpo, advantages };
}
