import { describe, expect, it } from 'vitest';
import type { Floats } from './floats';
import type { MatmulSpec } from '../backend';
import { jsKernels } from './kernels/js-kernels';
import type { CpuKernels } from './kernels/kernels';
import { wasmKernels } from './kernels/wasm-kernels';
import { matmul, matmulReference } from './matmul';
import { seededRandom } from '../params';

type FloatsType = Float32ArrayConstructor | Float64ArrayConstructor;

const random = (Type: FloatsType, n: number, seed: number): Floats => {
  const r = seededRandom(seed);
  const values = new Type(n);
  for (let i = 0; i < n; i++) values[i] = r();
  return values;
};

/**
 * [M, N, K]: the 1×1×1 corner, sizes off the 4×4 block, K large enough to split N into
 * several packed panels, and K deep enough to be packed in k-blocks (the last one ragged).
 */
const shapes: [number, number, number][] = [
  [1, 1, 1],
  [1, 5, 3],
  [3, 1, 7],
  [2, 3, 1],
  [4, 4, 4],
  [5, 7, 9],
  [7, 13, 6],
  [9, 3, 2],
  [17, 33, 19],
  [6, 70, 1100],
  [1, 130, 600],
  [9, 150, 4101],
];

/**
 * Max abs difference between fast and reference, against tolerance × max(1, max |reference|):
 * both sum the same products in the same order in doubles, so float64 agrees to rounding
 * (1e-12 relative), and float32 outputs to one rounding of the stored value (1e-5 relative).
 */
type Options = Omit<MatmulSpec<Floats>, 'M' | 'N' | 'K'>;

function compare(
  kernels: CpuKernels,
  Type: FloatsType,
  M: number,
  N: number,
  K: number,
  options: Options,
  seed: number,
): void {
  const a = random(Type, M * K, seed);
  const b = random(Type, N * K, seed + 1);
  const start = random(Type, M * N, seed + 2);
  const fast = Type.from(start);
  const reference = Type.from(start);
  matmul({ ...options, out: fast, a, b, M, N, K }, kernels);
  matmulReference({ ...options, out: reference, a, b, M, N, K });
  let error = 0;
  let scale = 1;
  for (let i = 0; i < M * N; i++) {
    error = Math.max(error, Math.abs(fast[i] - reference[i]));
    scale = Math.max(scale, Math.abs(reference[i]));
  }
  const tolerance = Type === Float64Array ? 1e-12 : 1e-5;
  expect(
    error,
    `${kernels.name} ${Type.name} M=${M} N=${N} K=${K} ${JSON.stringify({ ...options, lora: options.lora?.R })}`,
  ).toBeLessThanOrEqual(tolerance * scale);
}

const simd = wasmKernels();
const kernelSets: CpuKernels[] = simd === undefined ? [jsKernels] : [simd, jsKernels];

for (const kernels of kernelSets)
  describe(`fast CPU matmul (${kernels.name} kernels) against the naive reference`, () => {
    for (const Type of [Float32Array, Float64Array]) {
      it(`${Type.name}: every transpose combination, alpha, accumulate and LoRA, on odd shapes`, () => {
        let seed = 1;
        for (const [M, N, K] of shapes) {
          for (const transA of [false, true]) {
            for (const transB of [false, true]) {
              const R = 1 + (seed % 4);
              const lora = { u: random(Type, M * R, seed + 10), b: random(Type, N * R, seed + 11), R };
              compare(kernels, Type, M, N, K, { transA, transB }, seed++);
              compare(kernels, Type, M, N, K, { transA, transB, alpha: 0.37, accumulate: true }, seed++);
              compare(kernels, Type, M, N, K, { transA, transB, alpha: -1.5, lora }, seed++);
              compare(kernels, Type, M, N, K, { transA, transB, accumulate: true, lora }, seed++);
            }
          }
        }
      });
    }

    it('the Linear shapes: y = x·Wᵀ, dx = dy·W, dW += dyᵀ·x, and a LoRA rank-8 branch', () => {
      const [T, inDim, outDim, rank] = [37, 96, 160, 8];
      compare(kernels, Float32Array, T, outDim, inDim, { transB: true }, 100);
      compare(kernels, Float32Array, T, inDim, outDim, {}, 101);
      compare(kernels, Float32Array, outDim, inDim, T, { transA: true, accumulate: true }, 102);
      compare(kernels, Float32Array, T, rank, inDim, { transB: true, alpha: 2 }, 103);
      compare(kernels, Float32Array, T, inDim, rank, { alpha: 2, accumulate: true }, 104);
    });

    it('sums a product deep enough for k-blocks in k order, as the reference does: the same doubles', () => {
      const [M, N, K] = [5, 7, 4100];
      const a = random(Float64Array, M * K, 7);
      const b = random(Float64Array, N * K, 8);
      const [fast, reference] = [new Float64Array(M * N), new Float64Array(M * N)];
      matmul({ out: fast, a, b, M, N, K, transB: true }, kernels);
      matmulReference({ out: reference, a, b, M, N, K, transB: true });
      expect(fast).toEqual(reference);
    });

    it("adds the LoRA branch through the same kernel: the reference's doubles, every layout", () => {
      const [M, N, K, R] = [7, 10, 21, 3];
      let seed = 40;
      for (const transA of [false, true])
        for (const transB of [false, true]) {
          const a = random(Float32Array, M * K, seed++);
          const b = random(Float32Array, N * K, seed++);
          const lora = { u: random(Float32Array, M * R, seed++), b: random(Float32Array, N * R, seed++), R };
          const [fast, reference] = [new Float64Array(M * N), new Float64Array(M * N)];
          matmul({ out: fast, a, b, M, N, K, transA, transB, alpha: 0.5, lora }, kernels);
          matmulReference({ out: reference, a, b, M, N, K, transA, transB, alpha: 0.5, lora });
          expect(fast, `transA=${transA} transB=${transB}`).toEqual(reference);
        }
    });

    it('accumulates into out and leaves no stale scratch between calls of different sizes', () => {
      const a = Float64Array.of(1, 2, 3, 4); // (2, 2)
      const b = Float64Array.of(5, 6, 7, 8); // (2, 2)
      const out = Float64Array.of(1, 1, 1, 1);
      const [M, N, K] = [9, 11, 7];
      matmul(
        { out: new Float64Array(M * N), a: random(Float64Array, M * K, 1), b: random(Float64Array, N * K, 2), M, N, K },
        kernels,
      );
      matmul({ out, a, b, M: 2, N: 2, K: 2, accumulate: true }, kernels);
      expect(Array.from(out)).toEqual([20, 23, 44, 51]);
    });
  });

describe('the WebAssembly SIMD and TypeScript matmul kernels', () => {
  it('are both here: Node has WebAssembly SIMD, so CI runs the default kernels', () => {
    expect(simd?.name).toBe('wasm-simd');
  });

  it('give the same doubles to the bit, every layout, on shapes off the 4 × 4 block', () => {
    if (simd === undefined) throw new Error('no WebAssembly SIMD');
    let seed = 500;
    for (const [M, N, K] of [...shapes, [33, 67, 129] as [number, number, number]]) {
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          const a = random(Float32Array, M * K, seed++);
          const b = random(Float32Array, N * K, seed++);
          const [viaSimd, viaJs] = [new Float64Array(M * N), new Float64Array(M * N)];
          matmul({ out: viaSimd, a, b, M, N, K, transA, transB }, simd);
          matmul({ out: viaJs, a, b, M, N, K, transA, transB }, jsKernels);
          expect(viaSimd, `M=${M} N=${N} K=${K} transA=${transA} transB=${transB}`).toEqual(viaJs);
        }
      }
    }
  });
});
