import type { MatmulArgs } from '../backend';
import { dequantizeRow } from '../quantize';
import { isQuantized, type CpuTensor, type Floats } from './floats';
import type { CpuKernels } from './kernels/kernels';

/** Doubles of op(b)ᵀ packed at once (512 KiB): a panel that stays in L2 while every row of op(a) passes over it. */
const PANEL_DOUBLES = 65536;

/**
 * The k-block of a product too deep for a panel of 16 rows of op(b)ᵀ, such as the LM head's
 * backward (K = the vocabulary): the panel is then 128 rows by 512, packed from contiguous
 * runs of b in either layout, instead of 4 rows that each gather a value from every row of b.
 */
const DEEP_K_BLOCK = 512;

/**
 * dst (rows, kn) = rows r0..r0+rows, columns k0..k0+kn of op(b)ᵀ, where that is b itself
 * (row-major, K columns) or, when `transposed`, bᵀ with b (K, stride). Either way the kernel
 * reads contiguous rows.
 */
function packPanel(
  dst: Float64Array,
  src: CpuTensor,
  transposed: boolean,
  r0: number,
  rows: number,
  k0: number,
  kn: number,
  K: number,
  stride: number,
): void {
  if (isQuantized(src)) {
    // A quantized weight is read by rows only (the forward y = x·Wᵀ of a model that scores), whole (matmul never splits its K).
    if (transposed) throw new Error('matmul: a quantized matrix is read only as a Linear weight (y = x·Wᵀ)');
    for (let r = 0; r < rows; r++) dequantizeRow(src, r0 + r, dst.subarray(r * K, (r + 1) * K));
    return;
  }
  if (!transposed) {
    // native, converting float32 → float64
    if (kn === K) dst.set(src.subarray(r0 * K, (r0 + rows) * K));
    else for (let r = 0; r < rows; r++) dst.set(src.subarray((r0 + r) * K + k0, (r0 + r) * K + k0 + kn), r * kn);
    return;
  }
  // Read src's rows contiguously; the strided writes land in only `rows` cache lines at a time.
  for (let k = 0; k < kn; k++) {
    const from = (k0 + k) * stride + r0;
    for (let r = 0, d = k; r < rows; r++, d += kn) dst[d] = src[from + r];
  }
}

/**
 * dst (kn, 4) = rows m0..m0+rows, columns k0..k0+kn of op(a), k-major (the kernel's two SIMD
 * lanes are two rows); op(a) is a (M, K) or, when `transposed`, aᵀ with a (K, M). Rows past
 * the end are zero.
 */
function packRows(
  dst: Float64Array,
  a: Floats,
  transposed: boolean,
  m0: number,
  rows: number,
  k0: number,
  kn: number,
  M: number,
  K: number,
): void {
  if (rows < 4) dst.fill(0);
  if (transposed) {
    for (let k = 0, d = 0; k < kn; k++, d += 4) {
      const from = (k0 + k) * M + m0;
      for (let r = 0; r < rows; r++) dst[d + r] = a[from + r];
    }
    return;
  }
  for (let r = 0; r < rows; r++) {
    const from = (m0 + r) * K + k0;
    for (let k = 0, d = r; k < kn; k++, d += 4) dst[d] = a[from + k];
  }
}

/**
 * out (M, N) = α · op(a) · op(b) (+ out) (+ u·Bᵀ), the same as `matmulReference` but
 * several times faster: for each panel of columns, op(b)ᵀ's rows are packed into float64
 * scratch, then each block of 4 rows of op(a), so every layout runs the same register-blocked
 * kernel (kernels/) on contiguous memory. Scratch stays bounded (the LM head's 151,936 × 1024
 * weight is never copied whole). A deep product is packed a k-block at a time, its sums going
 * on in k order, so they are the same doubles whatever the blocking. A quantized b (transB
 * only) is dequantized panel by panel as it is packed.
 */
export function matmul(args: Omit<MatmulArgs<Floats>, 'b'> & { b: CpuTensor }, kernels: CpuKernels): void {
  const { a, b, M, N, K, transA = false, transB = false, lora } = args;
  if (M < 4 && !transA && transB && !isQuantized(b)) return matmulFewRows(args, b);
  const kc = 16 * K <= PANEL_DOUBLES || isQuantized(b) ? K : DEEP_K_BLOCK;
  const panel = Math.min(N, Math.max(4, (PANEL_DOUBLES / Math.max(kc, 1)) & ~3)); // rows of op(b)ᵀ: a multiple of 4, or all N
  const blocks = Math.ceil(M / 4);
  const R = lora?.R ?? 0;
  // (kc, 4), (nc, kc), (4·blocks, nc); the LoRA branch's the same with R for K.
  const [block, packed, s, loraBlock, loraPanel, t] = kernels.scratch([
    4 * kc,
    panel * kc,
    4 * blocks * panel,
    4 * R,
    panel * R,
    R > 0 ? 4 * blocks * panel : 0,
  ]);
  for (let n0 = 0; n0 < N; n0 += panel) {
    const nc = Math.min(panel, N - n0);
    s.fill(0, 0, 4 * blocks * nc);
    for (let k0 = 0; k0 < K; k0 += kc) {
      const kn = Math.min(kc, K - k0);
      packPanel(packed, b, !transB, n0, nc, k0, kn, K, N);
      addBlocks(kernels, s, block, packed, a, transA, k0, kn, M, K, nc);
    }
    if (lora) {
      // t = u·Bᵀ through the same kernel: u (M, R) and B (N, R) are already op(a) and op(b)ᵀ.
      t.fill(0, 0, 4 * blocks * nc);
      packPanel(loraPanel, lora.b, false, n0, nc, 0, R, R, R);
      addBlocks(kernels, t, loraBlock, loraPanel, lora.u, false, 0, R, M, R, nc);
    }
    for (let m = 0; m < M; m++) epilogue(args, s, t, m * nc, m, n0, nc);
  }
}

/**
 * s (4·⌈M/4⌉, nc) += columns k0..k0+kn of op(a) times the packed panel (nc, kn)ᵀ, a block of 4
 * rows of op(a) at a time, packed into `block` (kn, 4).
 */
function addBlocks(
  kernels: CpuKernels,
  s: Float64Array,
  block: Float64Array,
  panel: Float64Array,
  a: Floats,
  transA: boolean,
  k0: number,
  kn: number,
  M: number,
  K: number,
  nc: number,
): void {
  for (let m0 = 0; m0 < M; m0 += 4) {
    packRows(block, a, transA, m0, Math.min(4, M - m0), k0, kn, M, K);
    kernels.matmulBlock(s.subarray(m0 * nc, (m0 + 4) * nc), block, panel, nc, kn);
  }
}

/**
 * Rows m, columns n0..n0+nc of out from their raw dot products s[d..d+nc) and, with LoRA,
 * the branch's t[d..d+nc), exactly as the reference: scale, add the branch, then store or accumulate.
 */
function epilogue(
  { out, N, alpha = 1, accumulate = false, lora }: Omit<MatmulArgs<Floats>, 'b'>,
  s: Float64Array,
  t: Float64Array,
  d: number,
  m: number,
  n0: number,
  nc: number,
): void {
  for (let j = 0; j < nc; j++) {
    const n = n0 + j;
    let value = alpha * s[d + j];
    if (lora) value += t[d + j];
    out[m * N + n] = accumulate ? out[m * N + n] + value : value;
  }
}

// matmulFewRows' scratch: a row of x in float64 (one array type keeps the loop monomorphic), its N sums and N LoRA sums.
let fewRowsX = new Float64Array(0);
let fewRowsSums = new Float64Array(0);
let fewRowsLora = new Float64Array(0);

/**
 * matmul for fewer than 4 rows of y = x·Wᵀ (decoding): W's rows are read where they are.
 * Packing them would copy all of W for one pass over it; each sum runs over k in order, as the block kernel's do.
 */
function matmulFewRows(args: Omit<MatmulArgs<Floats>, 'b'>, b: Floats): void {
  const { a, M, N, K, lora } = args;
  if (fewRowsX.length < K) fewRowsX = new Float64Array(K);
  if (fewRowsSums.length < N) fewRowsSums = new Float64Array(N);
  if (lora && fewRowsLora.length < N) fewRowsLora = new Float64Array(N);
  const t = fewRowsLora;
  const x = fewRowsX;
  const s = fewRowsSums;
  for (let m = 0; m < M; m++) {
    x.set(a.subarray(m * K, (m + 1) * K));
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
        const xk = x[k];
        c0 += xk * b[b0 + k];
        c1 += xk * b[b1 + k];
        c2 += xk * b[b2 + k];
        c3 += xk * b[b3 + k];
      }
      s[n] = c0;
      s[n + 1] = c1;
      s[n + 2] = c2;
      s[n + 3] = c3;
    }
    for (; n < N; n++) {
      let sum = 0;
      for (let k = 0, r = n * K; k < K; k++) sum += x[k] * b[r + k];
      s[n] = sum;
    }
    if (lora) {
      const { u, b: loraB, R } = lora;
      for (let n = 0; n < N; n++) {
        let sum = 0;
        for (let r = 0; r < R; r++) sum += u[m * R + r] * loraB[n * R + r];
        t[n] = sum;
      }
    }
    epilogue(args, s, t, 0, m, 0, N);
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
