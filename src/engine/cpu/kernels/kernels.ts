/**
 * The CPU backend's inner loops, where its time goes: the matmul's 4-row block and the
 * attention's row kernels. Two implementations (default-kernels.ts picks one) give the same doubles to the bit: WebAssembly
 * SIMD (the default, 4–6× faster) and plain TypeScript (where WebAssembly SIMD is missing).
 *
 * Their arrays live in `scratch`: WebAssembly reads only its own memory, so an op takes all
 * its float64 work arrays from one `scratch` call, and they stay valid until the next one.
 */
export interface CpuKernels {
  readonly name: 'wasm-simd' | 'js';
  /** Float64 arrays of these lengths (contents left over), valid until the next call by any op. */
  scratch(lengths: readonly number[]): Float64Array[];
  /** s (4, nc) += A · Bᵀ for A (K, 4), a block of 4 rows stored k-major, and B (nc, K); each sum goes on from s's value in k order. */
  matmulBlock(s: Float64Array, A: Float64Array, B: Float64Array, nc: number, K: number): void;
  /** y[j] = x₀ · M[j], y[N + j] = x₁ · M[j] for j < n; x (D, 2) the two vectors interleaved, M (n, D). */
  dots2(y: Float64Array, x: Float64Array, M: Float64Array, n: number, N: number, D: number): void;
  /** acc (2, D): acc_r += Σ_{j<n} w[r·N + j] M[j]; M (n, D), D even. */
  addWeightedRows2(acc: Float64Array, w: Float64Array, M: Float64Array, n: number, N: number, D: number): void;
  /** M[j] += w[j] x₀ + w[N + j] x₁ for j < n; x (2, D), M (n, D), D even. */
  addOuter2(M: Float64Array, w: Float64Array, x: Float64Array, n: number, N: number, D: number): void;
}

/** Offsets (in doubles) of consecutive arrays of these lengths, each 16-byte aligned for SIMD loads. */
export function scratchLayout(lengths: readonly number[]): { offsets: number[]; total: number } {
  const offsets: number[] = [];
  let total = 0;
  for (const length of lengths) {
    offsets.push(total);
    total += length + (length & 1);
  }
  return { offsets, total };
}
