import type { Floats } from './floats';

/** Sizes of one causal GQA attention: T queries at positions P..P+T−1 over P+T keys. */
export interface AttentionDims {
  T: number;
  P: number;
  Hq: number;
  Hkv: number;
  D: number;
}

/**
 * out (T, Hq, D) = softmax(q·kᵀ/√D, causal) · v, with q (T, Hq, D) and k, v (≥ P+T, Hkv, D);
 * query head h reads key/value head h / (Hq/Hkv). Saves lse (Hq, T) for the backward.
 */
export function attentionForward(out: Floats, lse: Floats, q: Floats, k: Floats, v: Floats, d: AttentionDims): void {
  const { T, P, Hq, Hkv, D } = d;
  const scale = 1 / Math.sqrt(D);
  const group = Hq / Hkv;
  const scores = new Float64Array(P + T);
  for (let h = 0; h < Hq; h++) {
    const g = Math.floor(h / group);
    for (let t = 0; t < T; t++) {
      const qRow = (t * Hq + h) * D;
      const visible = P + t + 1;
      let max = -Infinity;
      for (let j = 0; j < visible; j++) {
        const kRow = (j * Hkv + g) * D;
        let s = 0;
        for (let i = 0; i < D; i++) s += q[qRow + i] * k[kRow + i];
        scores[j] = s * scale;
        if (scores[j] > max) max = scores[j];
      }
      let sum = 0;
      for (let j = 0; j < visible; j++) sum += Math.exp(scores[j] - max);
      const logSum = max + Math.log(sum);
      lse[h * T + t] = logSum;
      for (let i = 0; i < D; i++) out[qRow + i] = 0;
      for (let j = 0; j < visible; j++) {
        const p = Math.exp(scores[j] - logSum);
        const vRow = (j * Hkv + g) * D;
        for (let i = 0; i < D; i++) out[qRow + i] += p * v[vRow + i];
      }
    }
  }
}

/**
 * The gradients of attentionForward: dq (T, Hq, D) and dk, dv (P+T, Hkv, D), overwritten.
 * p = exp(s − lse), δ_t = dO_t·O_t, dS = p (dO·V_j − δ_t), dQ = scale Σ dS K, dK = scale Σ dS Q, dV = Σ p dO.
 */
export function attentionBackward(dq: Floats, dk: Floats, dv: Floats, dout: Floats, q: Floats, k: Floats, v: Floats, out: Floats, lse: Floats, d: AttentionDims): void {
  const { T, P, Hq, Hkv, D } = d;
  const scale = 1 / Math.sqrt(D);
  const group = Hq / Hkv;
  dq.fill(0, 0, T * Hq * D);
  dk.fill(0, 0, (P + T) * Hkv * D);
  dv.fill(0, 0, (P + T) * Hkv * D);
  for (let h = 0; h < Hq; h++) {
    const g = Math.floor(h / group);
    for (let t = 0; t < T; t++) {
      const row = (t * Hq + h) * D;
      let delta = 0;
      for (let i = 0; i < D; i++) delta += dout[row + i] * out[row + i];
      const l = lse[h * T + t];
      for (let j = 0; j <= P + t; j++) {
        const kRow = (j * Hkv + g) * D;
        let s = 0;
        let dp = 0;
        for (let i = 0; i < D; i++) {
          s += q[row + i] * k[kRow + i];
          dp += dout[row + i] * v[kRow + i];
        }
        const p = Math.exp(s * scale - l);
        const ds = p * (dp - delta);
        for (let i = 0; i < D; i++) {
          dq[row + i] += scale * ds * k[kRow + i];
          dk[kRow + i] += scale * ds * q[row + i];
          dv[kRow + i] += p * dout[row + i];
        }
      }
    }
  }
}
