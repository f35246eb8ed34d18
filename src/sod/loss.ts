import type { PpoSettings } from '../core/policy';
import { checkFinite, checkMask, checkSameLength, checkSetting, type Numbers } from './validate';

export type { PpoSettings };

export const defaultPpoSettings: PpoSettings = { clipLow: 0.2, clipHigh: 0.28, dualClip: 3, logRatioClamp: 20 };

export interface PpoInputs {
  logprobs: Numbers; //      (T) log πθ(y_t) under the parameters being trained
  oldLogprobs: Numbers; //   (T) s_t, the rollout policy's log-probs
  advantages: Numbers; //    (T) A_t
  mask: Numbers; //          (T)
}

export interface PpoResult {
  /** Σ_t m_t · loss_t / tokenCount. */
  loss: number;
  /** (T) ∂loss/∂logprobs_t; 0 where the mask is 0 or the chosen term is constant. */
  grad: Float64Array;
  /** Masked tokens in this call. */
  tokens: number;
  /** Share of masked tokens whose clipped term was the larger one (the ratio was clipped). */
  clipFraction: number;
  /** Share of masked tokens with A < 0 whose loss was capped at −A · dualClip. */
  dualClipFraction: number;
  /** mean over masked tokens of s_t − log πθ(y_t): the k1 estimate of KL(old ‖ current). */
  approxKl: number;
}

/**
 * The PPO dual-clip policy loss, token-mean over the masked tokens, and its gradient with
 * respect to the current log-probs. Per token, with ratio = exp(clamp(log πθ − s, ±20)):
 *   loss_t = max(−A·ratio, −A·clip(ratio, 1 − clipLow, 1 + clipHigh)),
 *   and for A < 0: min(loss_t, −A·dualClip).
 * `tokenCount` is the denominator of the mean: pass the minibatch's masked-token total when
 * this call sees one sequence of several, so the per-sequence parts add up to the minibatch mean.
 */
export function ppoLoss(inputs: PpoInputs, settings: PpoSettings = defaultPpoSettings, tokenCount?: number): PpoResult {
  const { logprobs, oldLogprobs, advantages, mask } = inputs;
  // In this order, so the first problem reported is the one it always was.
  checkSameLength([
    ['mask', mask],
    ['logprobs', logprobs],
    ['old_logprobs', oldLogprobs],
    ['advantages', advantages],
  ]);
  checkMask('mask', mask);
  checkFinite('logprobs', logprobs);
  const tokens = checkPpoInputs(inputs, settings, tokenCount);
  const denominator = tokenCount ?? tokens;

  const grad = new Float64Array(mask.length);
  let lossSum = 0;
  let clipped = 0;
  let dualClipped = 0;
  let klSum = 0;
  const low = 1 - settings.clipLow;
  const high = 1 + settings.clipHigh;
  for (let t = 0; t < mask.length; t++) {
    if (mask[t] === 0) continue;
    const a = advantages[t];
    const logRatio = logprobs[t] - oldLogprobs[t];
    klSum -= logRatio;
    const clampedLogRatio = Math.min(Math.max(logRatio, -settings.logRatioClamp), settings.logRatioClamp);
    const ratio = Math.exp(clampedLogRatio);
    // d ratio / d logprob: zero where the clamp holds the log-ratio.
    const dRatio = clampedLogRatio === logRatio ? ratio : 0;
    const clippedRatio = Math.min(Math.max(ratio, low), high);

    const unclippedLoss = -a * ratio;
    const clippedLoss = -a * clippedRatio;
    let loss = unclippedLoss;
    let dLoss = -a * dRatio;
    if (clippedLoss > unclippedLoss) {
      // Only possible when the ratio left the clip range: the chosen term is then constant.
      clipped++;
      loss = clippedLoss;
      dLoss = 0;
    }
    if (a < 0 && loss > -a * settings.dualClip) {
      dualClipped++;
      loss = -a * settings.dualClip;
      dLoss = 0;
    }
    lossSum += loss;
    grad[t] = denominator > 0 ? dLoss / denominator : 0;
  }
  return {
    loss: denominator > 0 ? lossSum / denominator : 0,
    grad,
    tokens,
    clipFraction: tokens > 0 ? clipped / tokens : 0,
    dualClipFraction: tokens > 0 ? dualClipped / tokens : 0,
    approxKl: tokens > 0 ? klSum / tokens : 0,
  };
}

/**
 * The checks of ppoLoss on everything but the current log-probs (a GPU computes the loss where
 * they are, so the trainer checks the rest before it uploads them). Returns the masked tokens.
 */
export function checkPpoInputs(
  inputs: Omit<PpoInputs, 'logprobs'>,
  settings: PpoSettings,
  tokenCount?: number,
): number {
  const { oldLogprobs, advantages, mask } = inputs;
  checkSameLength([
    ['mask', mask],
    ['old_logprobs', oldLogprobs],
    ['advantages', advantages],
  ]);
  checkMask('mask', mask);
  checkFinite('old_logprobs', oldLogprobs);
  checkFinite('advantages', advantages);
  checkSetting('clip_low', settings.clipLow, (v) => v >= 0 && v < 1, 'must be in [0, 1)');
  checkSetting('clip_high', settings.clipHigh, (v) => v >= 0, 'must be ≥ 0');
  checkSetting('dual_clip', settings.dualClip, (v) => v > 1, 'must be > 1');
  checkSetting('log_ratio_clamp', settings.logRatioClamp, (v) => v > 0, 'must be > 0');
  let tokens = 0;
  for (let t = 0; t < mask.length; t++) tokens += mask[t];
  if (tokenCount !== undefined)
    checkSetting('token_count', tokenCount, (v) => v >= tokens, `must be ≥ the ${tokens} masked tokens of this call`);
  return tokens;
}

export interface CrossEntropyResult {
  /** −Σ_t m_t · logprob_t / tokenCount */
  loss: number;
  /** (T) ∂loss/∂logprob_t = −m_t / tokenCount */
  grad: Float64Array;
  tokens: number;
}

/**
 * Masked cross-entropy on given tokens (the cold-start SFT loss), token-mean. As with
 * ppoLoss, `tokenCount` is the minibatch's masked-token total when this call sees one sequence.
 */
export function maskedCrossEntropy(logprobs: Numbers, mask: Numbers, tokenCount?: number): CrossEntropyResult {
  checkSameLength([
    ['mask', mask],
    ['logprobs', logprobs],
  ]);
  checkMask('mask', mask);
  checkFinite('logprobs', logprobs);
  let tokens = 0;
  for (let t = 0; t < mask.length; t++) tokens += mask[t];
  const denominator = tokenCount ?? tokens;
  if (tokenCount !== undefined)
    checkSetting('token_count', tokenCount, (v) => v >= tokens, `must be ≥ the ${tokens} masked tokens of this call`);
  const grad = new Float64Array(mask.length);
  let sum = 0;
  for (let t = 0; t < mask.length; t++) {
    if (mask[t] === 0) continue;
    sum -= logprobs[t];
    grad[t] = -1 / denominator;
  }
  return { loss: denominator > 0 ? sum / denominator : 0, grad, tokens };
}
