import type { Floats } from './floats';

export interface AdamWSettings {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Global gradient-norm clip; 0 turns clipping off. */
  maxGradNorm: number;
}

export const defaultAdamW: AdamWSettings = {
  lr: 1e-4,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 0.01,
  maxGradNorm: 1.0,
};

/** ‖grads‖₂ over n values. */
export function gradNorm(grads: Floats, n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += grads[i] * grads[i];
  return Math.sqrt(sum);
}

/** One AdamW step (bias-corrected, decoupled weight decay) after clipping by the global norm. */
export function adamw(
  params: Floats,
  grads: Floats,
  m: Floats,
  v: Floats,
  norm: number,
  n: number,
  step: number,
  s: AdamWSettings,
): void {
  const clip = s.maxGradNorm > 0 && norm > s.maxGradNorm ? s.maxGradNorm / norm : 1;
  const c1 = 1 - s.beta1 ** step;
  const c2 = 1 - s.beta2 ** step;
  for (let i = 0; i < n; i++) {
    const g = grads[i] * clip;
    m[i] = s.beta1 * m[i] + (1 - s.beta1) * g;
    v[i] = s.beta2 * v[i] + (1 - s.beta2) * g * g;
    params[i] -= s.lr * (m[i] / c1 / (Math.sqrt(v[i] / c2) + s.eps) + s.weightDecay * params[i]);
  }
}
