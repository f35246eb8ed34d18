import type { Floats } from './floats';

export interface MatmulOptions {
  /** a is stored (K, M) instead of (M, K). */
  transA?: boolean;
  /** b is stored (N, K) — a Linear weight, y = x·Wᵀ — instead of (K, N). */
  transB?: boolean;
  /** Scale of the product. Default 1. */
  alpha?: number;
  /** Add into out instead of overwriting it. */
  accumulate?: boolean;
  /** A fused LoRA branch: out += u · bᵀ with u (M, R), b (N, R); not scaled by alpha. */
  lora?: { u: Floats; b: Floats; R: number };
}

/**
 * out (M, N) = α · op(a) · op(b) (+ out) (+ u·Bᵀ). The reference every WebGPU matmul is
 * checked against; the loop order keeps the inner loop contiguous for the common layout.
 */
export function matmul(out: Floats, a: Floats, b: Floats, M: number, N: number, K: number, options: MatmulOptions = {}): void {
  const { transA = false, transB = false, alpha = 1, accumulate = false, lora } = options;
  const row = new Float64Array(N);
  for (let m = 0; m < M; m++) {
    row.fill(0);
    if (!transA && transB) {
      // y = x·Wᵀ: dot products of contiguous rows.
      const aRow = m * K;
      for (let n = 0; n < N; n++) {
        const bRow = n * K;
        let sum = 0;
        for (let k = 0; k < K; k++) sum += a[aRow + k] * b[bRow + k];
        row[n] = sum;
      }
    } else {
      for (let k = 0; k < K; k++) {
        const av = transA ? a[k * M + m] : a[m * K + k];
        if (av === 0) continue;
        if (transB) for (let n = 0; n < N; n++) row[n] += av * b[n * K + k];
        else {
          const bRow = k * N;
          for (let n = 0; n < N; n++) row[n] += av * b[bRow + n];
        }
      }
    }
    const outRow = m * N;
    for (let n = 0; n < N; n++) {
      let value = alpha * row[n];
      if (lora) {
        let sum = 0;
        for (let r = 0; r < lora.R; r++) sum += lora.u[m * lora.R + r] * lora.b[n * lora.R + r];
        value += sum;
      }
      out[outRow + n] = accumulate ? out[outRow + n] + value : value;
    }
  }
}
