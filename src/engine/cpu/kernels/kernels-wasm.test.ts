import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileKernelsWat, generatedModule, generatedPath } from './compile-wat';
import { wasmKernels } from './wasm-kernels';

describe('the CPU backend WebAssembly kernels', () => {
  it('kernels-wasm.ts holds what kernels.wat compiles to (run `npm run build:wasm` after editing kernels.wat)', async () => {
    expect(readFileSync(generatedPath, 'utf8')).toBe(generatedModule(await compileKernelsWat()));
  });

  it('refuse an array that is not a view of their memory', () => {
    const simd = wasmKernels();
    if (simd === undefined) throw new Error('no WebAssembly SIMD');
    const [s, A] = simd.scratch([4, 4]);
    expect(() => simd.matmulBlock(s, A, new Float64Array(4), 1, 1)).toThrow(/not taken from scratch/);
  });

  it('keep working after their memory grows, which detaches the old views', () => {
    const simd = wasmKernels();
    if (simd === undefined) throw new Error('no WebAssembly SIMD');
    const K = 3;
    const [s, A, B] = simd.scratch([4, 4 * K, 1 * K]);
    A.set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]); // (K, 4): rows are (1, 5, 9), (2, 6, 10), …
    B.set([1, 1, 1]);
    s.fill(0);
    simd.matmulBlock(s, A, B, 1, K);
    expect(Array.from(s)).toEqual([15, 18, 21, 24]);
    simd.matmulBlock(s, A, B, 1, K); // the sums go on from s
    expect(Array.from(s)).toEqual([30, 36, 42, 48]);
    const [big] = simd.scratch([4_000_000]); // 32 MB: the memory grows
    expect(big.length).toBe(4_000_000);
    const [s2, A2, B2] = simd.scratch([4, 4 * K, 1 * K]);
    A2.set([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]);
    B2.set([2, 3, 4]);
    s2.fill(0);
    simd.matmulBlock(s2, A2, B2, 1, K);
    expect(Array.from(s2)).toEqual([2, 3, 4, 0]);
  });
});
