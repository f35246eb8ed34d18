import { stepSpans, type StepSpan } from './steps';
import { checkFinite, checkMask, checkSameLength, checkSetting, type Numbers } from './validate';

/** The per-token inputs of the step weighting: one entry per response token. */
export interface TokenScores {
  /** s_t = log π_student(y_t | y_<t) under the rollout policy. */
  studentLogprobs: Numbers;
  /** τ_t = log π_teacher(y_t | y_<t). */
  teacherLogprobs: Numbers;
  /** m_t: 1 where the student generated the token, 0 where the environment inserted it. */
  mask: Numbers;
}

export interface StepSettings {
  /** ε > 0 keeps the ratio of divergences finite. Default 1e-6. */
  epsilon: number;
  /** δ ≥ 0: a weight never exceeds 1 + δ. Default 0.2. */
  delta: number;
  /** c: the OPD coefficient scaling the distillation term. Default 1.0. */
  coef: number;
}

export const defaultStepSettings: StepSettings = { epsilon: 1e-6, delta: 0.2, coef: 1.0 };

/** `sod` weighs steps by w_k; `opd` is the same with every w_k = 1. */
export type WeightingMethod = 'sod' | 'opd';

/** Everything the step weighting derives from one trajectory (K steps, T tokens). */
export interface StepWeighting {
  steps: StepSpan[]; //                 (K) half-open token ranges
  tokensPerStep: number[]; //           (K)
  divergences: number[]; //             (K) d_k
  runningProducts: number[]; //         (K) P_k, uncapped
  weights: number[]; //                 (K) w_k as used (all 1 for opd)
  tokenWeights: Float64Array; //        (T) w_{k(t)} on generated tokens, 0 on inserted ones
  distillAdvantages: Float64Array; //   (T) a_t = c · w_{k(t)} · (τ_t − s_t) · m_t
}

export function checkStepSettings(settings: StepSettings): void {
  checkSetting('epsilon', settings.epsilon, (v) => v > 0, 'must be > 0');
  checkSetting('delta', settings.delta, (v) => v >= 0, 'must be ≥ 0');
  checkSetting('coef', settings.coef, () => true, 'must be a finite number');
}

export function checkTokenScores(scores: TokenScores): void {
  checkSameLength([
    ['mask', scores.mask],
    ['student_logprobs', scores.studentLogprobs],
    ['teacher_logprobs', scores.teacherLogprobs],
  ]);
  checkMask('mask', scores.mask);
  checkFinite('student_logprobs', scores.studentLogprobs);
  checkFinite('teacher_logprobs', scores.teacherLogprobs);
}

/** d_k: the mean of |s_t − τ_t| over the tokens of step k. */
export function stepDivergences(scores: TokenScores, steps: readonly StepSpan[]): number[] {
  return steps.map(([start, end]) => {
    let sum = 0;
    for (let t = start; t < end; t++) sum += Math.abs(scores.studentLogprobs[t] - scores.teacherLogprobs[t]);
    return sum / (end - start);
  });
}

/**
 * P_k = ∏_{u=1..k−1} (d_u + ε)/(d_{u+1} + ε), accumulated step by step as the method
 * defines it (it telescopes to (d_1+ε)/(d_k+ε)); P_1 = 1. The product itself is never capped.
 */
export function runningProducts(divergences: readonly number[], epsilon: number): number[] {
  const products: number[] = [];
  let p = 1;
  divergences.forEach((d, k) => {
    if (k > 0) p *= (divergences[k - 1] + epsilon) / (d + epsilon);
    products.push(p);
  });
  return products;
}

/** w_1 = 1, w_k = min(P_k, 1 + δ). */
export function capRunningProducts(products: readonly number[], delta: number): number[] {
  return products.map((p, k) => (k === 0 ? 1 : Math.min(p, 1 + delta)));
}

/** The SOD step weights: a step that drifts from the teacher more than the one before gets less weight. */
export function stepWeights(
  divergences: readonly number[],
  settings: Pick<StepSettings, 'epsilon' | 'delta'>,
): number[] {
  return capRunningProducts(runningProducts(divergences, settings.epsilon), settings.delta);
}

/** Spreads step weights over tokens: w_{k(t)} inside step k, 0 on masked-out tokens. */
export function tokenWeightsFromSteps(
  steps: readonly StepSpan[],
  weights: readonly number[],
  length: number,
): Float64Array {
  const out = new Float64Array(length);
  steps.forEach(([start, end], k) => out.fill(weights[k], start, end));
  return out;
}

/** a_t = c · w_{k(t)} · (τ_t − s_t) · m_t (token weights are already 0 where m_t = 0). */
export function distillationAdvantages(scores: TokenScores, tokenWeights: Numbers, coef: number): Float64Array {
  const out = new Float64Array(tokenWeights.length);
  for (let t = 0; t < out.length; t++) {
    if (scores.mask[t] === 1) out[t] = coef * tokenWeights[t] * (scores.teacherLogprobs[t] - scores.studentLogprobs[t]);
  }
  return out;
}

/** The whole step weighting of one trajectory (docs/algorithm.md), validated. */
export function weighSteps(
  scores: TokenScores,
  settings: StepSettings = defaultStepSettings,
  method: WeightingMethod = 'sod',
): StepWeighting {
  checkStepSettings(settings);
  checkTokenScores(scores);
  const steps = stepSpans(scores.mask);
  const divergences = stepDivergences(scores, steps);
  const products = runningProducts(divergences, settings.epsilon);
  const weights = method === 'sod' ? capRunningProducts(products, settings.delta) : steps.map(() => 1);
  const tokenWeights = tokenWeightsFromSteps(steps, weights, scores.mask.length);
  return {
    steps,
    tokensPerStep: steps.map(([start, end]) => end - start),
    divergences,
    runningProducts: products,
    weights,
    tokenWeights,
    distillAdvantages: distillationAdvantages(scores, tokenWeights, settings.coef),
  };
}
