/**
 * The CPU backend's matmul, with its WebAssembly SIMD and its TypeScript kernels, against its naive reference, for the three layouts of a Linear
 * layer and its backward at the tiny teacher's sizes (256 tokens, C = 256, MLP 768).
 * Prints GFLOP/s and the fast/reference ratio and writes bench/results/.
 *
 *   npm run bench -- cpu-matmul
 */
import type { MatmulArgs, MatmulSpec } from '../src/engine/backend';
import { matmul, matmulReference } from '../src/engine/cpu/matmul';
import type { Floats } from '../src/engine/cpu/floats';
import { jsKernels } from '../src/engine/cpu/kernels/js-kernels';
import { wasmKernels } from '../src/engine/cpu/kernels/wasm-kernels';
import { median, timeRuns, type BenchReport } from './report';

const shapes: { name: string; M: number; N: number; K: number; options: Omit<MatmulSpec<Floats>, 'M' | 'N' | 'K'> }[] =
  [
    { name: 'y = x·Wᵀ q_proj', M: 256, N: 256, K: 256, options: { transB: true } },
    { name: 'y = x·Wᵀ mlp up', M: 256, N: 768, K: 256, options: { transB: true } },
    { name: 'dx = dy·W mlp down', M: 256, N: 256, K: 768, options: {} },
    { name: 'dW += dyᵀ·x mlp up', M: 768, N: 256, K: 256, options: { transA: true, accumulate: true } },
  ];

export async function benchCpuMatmul(report: BenchReport): Promise<void> {
  const simd = wasmKernels();
  if (simd === undefined) throw new Error('this runtime has no WebAssembly SIMD');
  for (const { name, M, N, K, options } of shapes) {
    const a = Float32Array.from({ length: M * K }, (_, i) => Math.sin(i));
    const b = Float32Array.from({ length: N * K }, (_, i) => Math.cos(i));
    const out = new Float32Array(M * N);
    const flops = 2 * M * N * K;
    const rate = async (f: (args: MatmulArgs<Floats>) => void) =>
      flops / median(await timeRuns(5, async () => f({ ...options, out, a, b, M, N, K }))) / 1e9;
    const reference = await rate(matmulReference);
    const js = await rate((args) => matmul(args, jsKernels));
    const wasm = await rate((args) => matmul(args, simd));
    const shape = { M, N, K, transA: options.transA ?? false, transB: options.transB ?? false };
    report.results.push({ name: `cpu matmul ${name} reference`, value: reference, unit: 'GFLOP/s', shape });
    report.results.push({ name: `cpu matmul ${name} TypeScript kernels`, value: js, unit: 'GFLOP/s', shape });
    report.results.push({ name: `cpu matmul ${name} WebAssembly SIMD kernels`, value: wasm, unit: 'GFLOP/s', shape });
    report.results.push({ name: `cpu matmul ${name} SIMD/TypeScript`, value: wasm / js, unit: '×', shape });
    console.log(
      `${name.padEnd(20)} (${M}, ${N}, ${K})`.padEnd(38) +
        `reference ${reference.toFixed(2).padStart(5)}  TypeScript ${js.toFixed(2).padStart(5)}  SIMD ${wasm.toFixed(2).padStart(5)} GFLOP/s  SIMD/TypeScript ${(wasm / js).toFixed(2)}×`,
    );
  }
}
