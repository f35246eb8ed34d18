/**
 * The CPU kernels in TypeScript: the fallback where WebAssembly SIMD is missing, and the
 * scalar statement of what kernels.wat computes. Each output's products are summed in the
 * order written here; the WebAssembly lanes keep that order, so both agree to the bit.
 * V8 emits scalar code for these loops; the independent sums keep the adds from waiting on
 * each other.
 */
import { scratchLayout, type CpuKernels } from './kernels';

let buffer = new Float64Array(0);

export const jsKernels: CpuKernels = {
  name: 'js',
  scratch(lengths) {
    const { offsets, total } = scratchLayout(lengths);
    if (buffer.length < total) buffer = new Float64Array(Math.max(total, 2 * buffer.length));
    return lengths.map((length, i) => buffer.subarray(offsets[i], offsets[i] + length));
  },
  matmulBlock,
  dots2,
  addWeightedRows2,
  addOuter2,
};

/**
 * A 4×4 block of outputs in local accumulators reads each a and b value once per block (8 loads for 16 multiply-adds).
 * The sums go on from s's values, so a product split along k sums in the same order.
 */
function matmulBlock(s: Float64Array, A: Float64Array, B: Float64Array, nc: number, K: number): void {
  let n = 0;
  for (; n + 4 <= nc; n += 4) {
    const b0 = n * K,
      b1 = b0 + K,
      b2 = b1 + K,
      b3 = b2 + K;
    let c00 = s[n],
      c01 = s[n + 1],
      c02 = s[n + 2],
      c03 = s[n + 3],
      c10 = s[nc + n],
      c11 = s[nc + n + 1],
      c12 = s[nc + n + 2],
      c13 = s[nc + n + 3];
    let c20 = s[2 * nc + n],
      c21 = s[2 * nc + n + 1],
      c22 = s[2 * nc + n + 2],
      c23 = s[2 * nc + n + 3],
      c30 = s[3 * nc + n],
      c31 = s[3 * nc + n + 1],
      c32 = s[3 * nc + n + 2],
      c33 = s[3 * nc + n + 3];
    for (let k = 0, a = 0; k < K; k++, a += 4) {
      const x0 = A[a],
        x1 = A[a + 1],
        x2 = A[a + 2],
        x3 = A[a + 3];
      const y0 = B[b0 + k],
        y1 = B[b1 + k],
        y2 = B[b2 + k],
        y3 = B[b3 + k];
      c00 += x0 * y0;
      c01 += x0 * y1;
      c02 += x0 * y2;
      c03 += x0 * y3;
      c10 += x1 * y0;
      c11 += x1 * y1;
      c12 += x1 * y2;
      c13 += x1 * y3;
      c20 += x2 * y0;
      c21 += x2 * y1;
      c22 += x2 * y2;
      c23 += x2 * y3;
      c30 += x3 * y0;
      c31 += x3 * y1;
      c32 += x3 * y2;
      c33 += x3 * y3;
    }
    s[n] = c00;
    s[n + 1] = c01;
    s[n + 2] = c02;
    s[n + 3] = c03;
    s[nc + n] = c10;
    s[nc + n + 1] = c11;
    s[nc + n + 2] = c12;
    s[nc + n + 3] = c13;
    s[2 * nc + n] = c20;
    s[2 * nc + n + 1] = c21;
    s[2 * nc + n + 2] = c22;
    s[2 * nc + n + 3] = c23;
    s[3 * nc + n] = c30;
    s[3 * nc + n + 1] = c31;
    s[3 * nc + n + 2] = c32;
    s[3 * nc + n + 3] = c33;
  }
  // The nc % 4 edge columns, one at a time.
  for (; n < nc; n++) {
    let c0 = s[n],
      c1 = s[nc + n],
      c2 = s[2 * nc + n],
      c3 = s[3 * nc + n];
    for (let k = 0, a = 0, b = n * K; k < K; k++, a += 4) {
      const y = B[b + k];
      c0 += A[a] * y;
      c1 += A[a + 1] * y;
      c2 += A[a + 2] * y;
      c3 += A[a + 3] * y;
    }
    s[n] = c0;
    s[nc + n] = c1;
    s[2 * nc + n] = c2;
    s[3 * nc + n] = c3;
  }
}

function dots2(y: Float64Array, x: Float64Array, M: Float64Array, n: number, N: number, D: number): void {
  let j = 0;
  for (let r0 = 0; j + 3 < n; j += 4, r0 += 4 * D) {
    const r1 = r0 + D,
      r2 = r1 + D,
      r3 = r2 + D;
    let a0 = 0,
      a1 = 0,
      a2 = 0,
      a3 = 0,
      b0 = 0,
      b1 = 0,
      b2 = 0,
      b3 = 0;
    for (let i = 0; i < D; i++) {
      const xa = x[2 * i],
        xb = x[2 * i + 1];
      const m0 = M[r0 + i],
        m1 = M[r1 + i],
        m2 = M[r2 + i],
        m3 = M[r3 + i];
      a0 += xa * m0;
      a1 += xa * m1;
      a2 += xa * m2;
      a3 += xa * m3;
      b0 += xb * m0;
      b1 += xb * m1;
      b2 += xb * m2;
      b3 += xb * m3;
    }
    y[j] = a0;
    y[j + 1] = a1;
    y[j + 2] = a2;
    y[j + 3] = a3;
    y[N + j] = b0;
    y[N + j + 1] = b1;
    y[N + j + 2] = b2;
    y[N + j + 3] = b3;
  }
  for (let r = j * D; j < n; j++, r += D) {
    let a = 0,
      b = 0;
    for (let i = 0; i < D; i++) {
      a += x[2 * i] * M[r + i];
      b += x[2 * i + 1] * M[r + i];
    }
    y[j] = a;
    y[N + j] = b;
  }
}

function addWeightedRows2(acc: Float64Array, w: Float64Array, M: Float64Array, n: number, N: number, D: number): void {
  let j = 0;
  for (let r0 = 0; j + 3 < n; j += 4, r0 += 4 * D) {
    const r1 = r0 + D,
      r2 = r1 + D,
      r3 = r2 + D;
    const a0 = w[j],
      a1 = w[j + 1],
      a2 = w[j + 2],
      a3 = w[j + 3];
    const b0 = w[N + j],
      b1 = w[N + j + 1],
      b2 = w[N + j + 2],
      b3 = w[N + j + 3];
    for (let i = 0; i < D; i++) {
      const m0 = M[r0 + i],
        m1 = M[r1 + i],
        m2 = M[r2 + i],
        m3 = M[r3 + i];
      acc[i] += a0 * m0 + a1 * m1 + a2 * m2 + a3 * m3;
      acc[D + i] += b0 * m0 + b1 * m1 + b2 * m2 + b3 * m3;
    }
  }
  for (let r = j * D; j < n; j++, r += D) {
    const a = w[j],
      b = w[N + j];
    for (let i = 0; i < D; i++) {
      acc[i] += a * M[r + i];
      acc[D + i] += b * M[r + i];
    }
  }
}

function addOuter2(M: Float64Array, w: Float64Array, x: Float64Array, n: number, N: number, D: number): void {
  for (let j = 0, r = 0; j < n; j++, r += D) {
    const a = w[j],
      b = w[N + j];
    for (let i = 0; i < D; i++) M[r + i] += a * x[i] + b * x[D + i];
  }
}
