import type { AdamWArgs, GradNormArgs } from '../backend';
import type { Floats } from './floats';

/** norm[0] = ‖grads‖₂ over n values. */
export function gradNorm({ norm, grads, n }: GradNormArgs<Floats>): void {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += grads[i] * grads[i];
  norm[0] = Math.sqrt(sum);
}

/**
 * One AdamW step (bias-corrected, decoupled weight decay) after clipping by the global norm;
 * none at all when the norm is NaN or infinite (a gradient that would ruin the adapter).
 */
export function adamw({ params, grads, m, v, norm: normTensor, n, step, settings: s }: AdamWArgs<Floats>): void {
  const norm = normTensor[0];
  if (!Number.isFinite(norm)) return;
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
