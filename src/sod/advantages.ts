import { checkFinite, checkMask, checkSameLength, SodInputError, type Numbers } from './validate';

/**
 * Which supervision trains the student:
 * - `sod`: GRPO outcome advantage + the step-weighted distillation term;
 * - `opd`: the same with every step weight 1;
 * - `grpo`: the outcome advantage alone;
 * - `distill`: the step-weighted distillation term alone (no reward available).
 */
export type Method = 'sod' | 'opd' | 'grpo' | 'distill';

export const methods: readonly Method[] = ['sod', 'opd', 'grpo', 'distill'];

/** Whether the method needs the teacher's log-probs (a distillation term). */
export function usesTeacher(method: Method): boolean {
  return method !== 'grpo';
}

/** Whether the method needs rewards and groups (an outcome term). */
export function usesReward(method: Method): boolean {
  return method !== 'distill';
}

export interface AdvantageInputs {
  mask: Numbers; //                     (T)
  /** The trajectory's GRPO advantage A; ignored by `distill`. */
  grpoAdvantage?: number;
  /** a_t from the step weighting (weighted for sod, unweighted for opd); ignored by `grpo`. */
  distillAdvantages?: Numbers; //       (T)
}

/** A_t = A · m_t + a_t, with the terms the method keeps. */
export function tokenAdvantages(method: Method, inputs: AdvantageInputs): Float64Array {
  const { mask } = inputs;
  checkMask('mask', mask);
  const out = new Float64Array(mask.length);
  if (usesReward(method)) {
    const a = inputs.grpoAdvantage;
    if (a === undefined || !Number.isFinite(a)) {
      throw new SodInputError(
        'grpo_advantage',
        undefined,
        `must be a finite number for method ${method}, got ${String(a)}`,
      );
    }
    for (let t = 0; t < out.length; t++) out[t] = a * mask[t];
  }
  if (usesTeacher(method)) {
    const distill = inputs.distillAdvantages;
    if (distill === undefined) {
      throw new SodInputError('distill_advantages', undefined, `are required for method ${method}`);
    }
    checkSameLength([
      ['mask', mask],
      ['distill_advantages', distill],
    ]);
    checkFinite('distill_advantages', distill);
    for (let t = 0; t < out.length; t++) out[t] += distill[t];
  }
  return out;
}
