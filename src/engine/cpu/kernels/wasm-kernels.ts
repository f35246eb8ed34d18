/**
 * The CPU kernels in WebAssembly SIMD (kernels.wat, compiled into kernels-wasm.ts). Scratch
 * arrays are views of the module's memory, which grows as an op needs more; a grow detaches
 * the old views, so every op takes its views from one `scratch` call after any grow.
 */
import { jsKernels } from './js-kernels';
import { scratchLayout, type CpuKernels } from './kernels';
import { kernelsWasmBase64 } from './kernels-wasm';

interface KernelExports {
  memory: WebAssembly.Memory;
  matmulBlock(s: number, a: number, b: number, nc: number, K: number): void;
  dots2(y: number, x: number, m: number, n: number, N: number, D: number): void;
  addWeightedRows2(acc: number, w: number, m: number, n: number, N: number, D: number): void;
  addOuter2(m: number, w: number, x: number, n: number, N: number, D: number): void;
}

const PAGE_BYTES = 65536;

/** The kernels, or undefined where this runtime has no WebAssembly SIMD. */
export function wasmKernels(): CpuKernels | undefined {
  const exports = instantiate();
  if (exports === undefined) return undefined;
  const { memory } = exports;
  let doubles = new Float64Array(memory.buffer);
  return {
    name: 'wasm-simd',
    scratch(lengths) {
      const { offsets, total } = scratchLayout(lengths);
      const bytes = 8 * total;
      if (memory.buffer.byteLength < bytes) {
        memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / PAGE_BYTES));
        doubles = new Float64Array(memory.buffer);
      }
      return lengths.map((length, i) => doubles.subarray(offsets[i], offsets[i] + length));
    },
    matmulBlock(s, A, B, nc, K) {
      exports.matmulBlock(at(s), at(A), at(B), nc, K);
    },
    dots2(y, x, M, n, N, D) {
      exports.dots2(at(y), at(x), at(M), n, N, D);
    },
    addWeightedRows2(acc, w, M, n, N, D) {
      // kernels.wat takes D two at a time; an odd D (never a real model's) runs the same sums in TypeScript.
      if (D % 2 === 1) return jsKernels.addWeightedRows2(acc, w, M, n, N, D);
      exports.addWeightedRows2(at(acc), at(w), at(M), n, N, D);
    },
    addOuter2(M, w, x, n, N, D) {
      if (D % 2 === 1) return jsKernels.addOuter2(M, w, x, n, N, D);
      exports.addOuter2(at(M), at(w), at(x), n, N, D);
    },
  };

  /** The byte offset of a scratch view; an array from anywhere else would be read as garbage. */
  function at(view: Float64Array): number {
    if (view.buffer !== memory.buffer) throw new Error('wasm kernels: an array not taken from scratch()');
    return view.byteOffset;
  }
}

function instantiate(): KernelExports | undefined {
  if (typeof WebAssembly === 'undefined') return undefined;
  const bytes = Uint8Array.from(atob(kernelsWasmBase64), (c) => c.charCodeAt(0));
  if (!WebAssembly.validate(bytes)) return undefined; // no SIMD in this runtime
  // The module's exports are kernels.wat's, whose signatures KernelExports states.
  return new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as unknown as KernelExports;
}
