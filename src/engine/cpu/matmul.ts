import type { MatmulArgs } from '../backend';
import { dequantizeRow } from '../quantize';
import { isQuantized, type CpuTensor, type Floats } from './floats';

/** Doubles of op(b)ᵀ packed at once (512 KiB): a panel that stays in L2 while every row of op(a) passes over it. */
const PANEL_DOUBLES = 65536;

// Scratch reused across calls. Packing both operands into float64 keeps the kernel's loads
// monomorphic whatever the callers' array types (about 1.4× over reading Floats directly).
let packA: Float64Array = new Float64Array(0); // (4, K): the current block of rows of op(a)
let packB: Float64Array = new Float64Array(0); // (nc, K): the current panel of rows of op(b)ᵀ
let sums: Float64Array = new Float64Array(0); // (4, nc): raw dot products before the epilogue

function grow(buffer: Float64Array, length: number): Float64Array {
  return buffer.length >= length ? buffer : new Float64Array(length);
}

/**
 * dst (rows, K) = rows r0..r0+rows of X, where X (·, K) is src itself (row-major) or, when
 * `transposed`, srcᵀ with src (K, stride). Either way the kernel reads contiguous rows.
 */
function pack(
  dst: Float64Array,
  src: CpuTensor,
  transposed: boolean,
  r0: number,
  rows: number,
  K: number,
  stride: number,
): void {
  if (isQuantized(src)) {
    // A quantized weight is read by rows only: the forward y = x·Wᵀ of a model that scores.
    if (transposed) throw new Error('matmul: a quantized matrix is read only as a Linear weight (y = x·Wᵀ)');
    for (let r = 0; r < rows; r++) dequantizeRow(src, r0 + r, dst.subarray(r * K, (r + 1) * K));
    return;
  }
  if (!transposed) {
    dst.set(src.subarray(r0 * K, (r0 + rows) * K)); // native, converting float32 → float64
    return;
  }
  // Read src's rows contiguously; the strided writes land in only `rows` cache lines at a time.
  for (let k = 0; k < K; k++) {
    const from = k * stride + r0;
    for (let r = 0, d = k; r < rows; r++, d += K) dst[d] = src[from + r];
  }
}

/**
 * s (4, nc) = A · Bᵀ for A (4, K), B (nc, K), as dot products of contiguous rows: a 4×4
 * block of outputs in local accumulators reads each a and b value once per block (8 loads
 * for 16 multiply-adds). The nc % 4 edge columns go through `kernelRow`.
 */
function kernel4(s: Float64Array, A: Float64Array, B: Float64Array, nc: number, K: number): void {
  const a1 = K,
    a2 = 2 * K,
    a3 = 3 * K;
  let n = 0;
  for (; n + 4 <= nc; n += 4) {
    const b0 = n * K,
      b1 = b0 + K,
      b2 = b1 + K,
      b3 = b2 + K;
    let c00 = 0,
      c01 = 0,
      c02 = 0,
      c03 = 0,
      c10 = 0,
      c11 = 0,
      c12 = 0,
      c13 = 0;
    let c20 = 0,
      c21 = 0,
      c22 = 0,
      c23 = 0,
      c30 = 0,
      c31 = 0,
      c32 = 0,
      c33 = 0;
    for (let k = 0; k < K; k++) {
      const x0 = A[k],
        x1 = A[a1 + k],
        x2 = A[a2 + k],
        x3 = A[a3 + k];
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
  for (let i = 0; i < 4; i++) kernelRow(s, i * nc, A, i * K, B, n, nc, K);
}

/**
 * s[d + n0..nc) = one row of A (at a0) · Bᵀ, four columns at a time: the M % 4 leftover
 * rows (M = 1 when decoding), and the nc % 4 edge columns one plain dot product each.
 */
function kernelRow(
  s: Float64Array,
  d: number,
  A: Float64Array,
  a0: number,
  B: Float64Array,
  n0: number,
  nc: number,
  K: number,
): void {
  let n = n0;
  for (; n + 4 <= nc; n += 4) {
    const b0 = n * K,
      b1 = b0 + K,
      b2 = b1 + K,
      b3 = b2 + K;
    let c0 = 0,
      c1 = 0,
      c2 = 0,
      c3 = 0;
    for (let k = 0; k < K; k++) {
      const x = A[a0 + k];
      c0 += x * B[b0 + k];
      c1 += x * B[b1 + k];
      c2 += x * B[b2 + k];
      c3 += x * B[b3 + k];
    }
    s[d + n] = c0;
    s[d + n + 1] = c1;
    s[d + n + 2] = c2;
    s[d + n + 3] = c3;
  }
  for (; n < nc; n++) {
    let sum = 0;
    for (let k = 0, b = n * K; k < K; k++) sum += A[a0 + k] * B[b + k];
    s[d + n] = sum;
  }
}

/**
 * out (M, N) = α · op(a) · op(b) (+ out) (+ u·Bᵀ), the same as `matmulReference` but
 * several times faster: for each panel of columns, op(b)ᵀ's rows are packed into float64
 * scratch, then each block of 4 rows of op(a), so every layout runs the same
 * register-blocked kernel on contiguous memory. Scratch stays bounded (the LM head's
 * 151,936 × 1024 weight is never copied whole). A quantized b (transB only) is dequantized
 * panel by panel as it is packed.
 */
export function matmul(args: Omit<MatmulArgs<Floats>, 'b'> & { b: CpuTensor }): void {
  const { a, b, M, N, K, transA = false, transB = false } = args;
  if (M < 4 && !transA && transB && !isQuantized(b)) return matmulFewRows(args, b);
  const panel = Math.min(N, Math.max(4, (PANEL_DOUBLES / Math.max(K, 1)) & ~3)); // rows of op(b)ᵀ: a multiple of 4, or all N
  packA = grow(packA, 4 * K);
  packB = grow(packB, panel * K);
  sums = grow(sums, 4 * panel);
  const s = sums;
  for (let n0 = 0; n0 < N; n0 += panel) {
    const nc = Math.min(panel, N - n0);
    pack(packB, b, !transB, n0, nc, K, N);
    for (let m0 = 0; m0 < M; m0 += 4) {
      const rows = Math.min(4, M - m0);
      pack(packA, a, transA, m0, rows, K, M);
      if (rows === 4) kernel4(s, packA, packB, nc, K);
      else for (let i = 0; i < rows; i++) kernelRow(s, i * nc, packA, i * K, packB, 0, nc, K);
      for (let i = 0; i < rows; i++) epilogue(args, s, i * nc, m0 + i, n0, nc);
    }
  }
}

/**
 * Rows m, columns n0..n0+nc of out from their raw dot products s[d..d+nc), exactly as the
 * reference: scale, add the LoRA branch, then store or accumulate.
 */
function epilogue(
  { out, N, alpha = 1, accumulate = false, lora }: Omit<MatmulArgs<Floats>, 'b'>,
  s: Float64Array,
  d: number,
  m: number,
  n0: number,
  nc: number,
): void {
  for (let j = 0; j < nc; j++) {
    const n = n0 + j;
    let value = alpha * s[d + j];
    if (lora) {
      let sum = 0;
      for (let r = 0; r < lora.R; r++) sum += lora.u[m * lora.R + r] * lora.b[n * lora.R + r];
      value += sum;
    }
    out[m * N + n] = accumulate ? out[m * N + n] + value : value;
  }
}

/**
 * matmul for fewer than 4 rows of y = x·Wᵀ (decoding): W's rows are read where they are.
 * Packing them would copy all of W for one pass over it; the sums are kernelRow's, in its order.
 */
function matmulFewRows(args: Omit<MatmulArgs<Floats>, 'b'>, b: Floats): void {
  const { a, M, N, K } = args;
  packA = grow(packA, K);
  sums = grow(sums, N);
  const s = sums;
  for (let m = 0; m < M; m++) {
    packA.set(a.subarray(m * K, (m + 1) * K));
    let n = 0;
    for (; n + 4 <= N; n += 4) {
      const b0 = n * K,
        b1 = b0 + K,
        b2 = b1 + K,
        b3 = b2 + K;
      let c0 = 0,
        c1 = 0,
        c2 = 0,
        c3 = 0;
      for (let k = 0; k < K; k++) {
        const x = packA[k];
        c0 += x * b[b0 + k];
        c1 += x * b[b1 + k];
        c2 += x * b[b2 + k];
        c3 += x * b[b3 + k];
      }
      s[n] = c0;
      s[n + 1] = c1;
      s[n + 2] = c2;
      s[n + 3] = c3;
    }
    for (; n < N; n++) {
      let sum = 0;
      for (let k = 0, r = n * K; k < K; k++) sum += packA[k] * b[r + k];
      s[n] = sum;
    }
    epilogue(args, s, 0, m, 0, N);
  }
}

/**
 * The naive loop, kept as the reference the fast `matmul` is tested against; the loop
 * order keeps the inner loop contiguous for the common layout.
 */
export function matmulReference(args: MatmulArgs<Floats>): void {
  const { out, a, b, M, N, K, transA = false, transB = false, alpha = 1, accumulate = false, lora } = args;
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
