import { jsKernels } from './js-kernels';
import type { CpuKernels } from './kernels';
import { wasmKernels } from './wasm-kernels';

let chosen: CpuKernels | undefined;

/** WebAssembly SIMD where the runtime has it (every browser with WebGPU, Node ≥ 16), else TypeScript. */
export function defaultCpuKernels(): CpuKernels {
  chosen ??= wasmKernels() ?? jsKernels;
  return chosen;
}
