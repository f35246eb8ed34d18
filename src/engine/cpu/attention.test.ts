import { describe, expect, it } from 'vitest';
import type { AttentionDims } from '../backend';
import {
  attentionBackward,
  attentionBackwardReference,
  attentionForward,
  attentionForwardReference,
} from './attention';
import type { Floats } from './floats';
import { jsKernels } from './kernels/js-kernels';
import type { CpuKernels } from './kernels/kernels';
import { wasmKernels } from './kernels/wasm-kernels';
import { seededRandom } from '../params';

type FloatArray = typeof Float32Array | typeof Float64Array;

const random = (Type: FloatArray, n: number, seed: number, amplitude = 1): Floats => {
  const r = seededRandom(seed);
  const x = new Type(n);
  for (let i = 0; i < n; i++) x[i] = amplitude * r();
  return x;
};

/** Largest |a − b|, and that over the largest |b|. */
function maxError(a: Floats, b: Floats): { abs: number; rel: number } {
  let abs = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    abs = Math.max(abs, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return { abs, rel: abs / Math.max(scale, Number.MIN_VALUE) };
}

const cases: AttentionDims[] = [
  { T: 1, P: 0, Hq: 1, Hkv: 1, D: 4 },
  { T: 5, P: 0, Hq: 4, Hkv: 2, D: 8 },
  { T: 19, P: 0, Hq: 2, Hkv: 1, D: 6 },
  { T: 3, P: 4, Hq: 4, Hkv: 4, D: 8 },
  { T: 70, P: 0, Hq: 4, Hkv: 2, D: 32 },
  { T: 9, P: 13, Hq: 6, Hkv: 2, D: 5 },
  { T: 1, P: 7, Hq: 3, Hkv: 1, D: 3 },
  { T: 1, P: 40, Hq: 4, Hkv: 2, D: 8 },
];

const simd = wasmKernels();
const kernelSets: CpuKernels[] = simd === undefined ? [jsKernels] : [simd, jsKernels];

for (const kernels of kernelSets)
  describe(`fast causal GQA attention (${kernels.name} kernels) against the naive reference`, () => {
    for (const [Type, tolerance] of [
      [Float64Array, { abs: 1e-12, rel: Infinity }],
      [Float32Array, { abs: Infinity, rel: 1e-5 }],
    ] as const) {
      for (const dims of cases) {
        it(`${Type.name} ${JSON.stringify(dims)}`, () => {
          const { T, P, Hq, Hkv, D } = dims;
          const capacity = P + T + 2; // k and v may hold more rows than P+T (a cache); they are not read
          const q = random(Type, T * Hq * D, 1, 2);
          const k = random(Type, capacity * Hkv * D, 2, 2);
          const v = random(Type, capacity * Hkv * D, 3);
          const dout = random(Type, T * Hq * D, 4);
          const check = (name: string, fast: Floats, reference: Floats) => {
            const e = maxError(fast, reference);
            expect(e.abs, `${name} abs`).toBeLessThanOrEqual(tolerance.abs);
            expect(e.rel, `${name} rel`).toBeLessThanOrEqual(tolerance.rel);
          };

          const out = new Type(T * Hq * D);
          const lse = new Type(Hq * T);
          attentionForwardReference({ ...dims, out, lse, q, k, v });
          const fastOut = new Type(T * Hq * D).fill(7);
          const fastLse = new Type(Hq * T).fill(7);
          attentionForward({ ...dims, out: fastOut, lse: fastLse, q, k, v }, kernels);
          check('out', fastOut, out);
          check('lse', fastLse, lse);

          // Backward from the same out and lse; both overwrite dq and the first P+T rows of dk, dv.
          const grads = () => [new Type(q.length).fill(7), new Type(k.length).fill(7), new Type(v.length).fill(7)];
          const [dq, dk, dv] = grads();
          attentionBackwardReference({ ...dims, dq, dk, dv, dout, q, k, v, out, lse });
          const [fastDq, fastDk, fastDv] = grads();
          attentionBackward({ ...dims, dq: fastDq, dk: fastDk, dv: fastDv, dout, q, k, v, out, lse }, kernels);
          check('dq', fastDq, dq);
          check('dk', fastDk, dk);
          check('dv', fastDv, dv);
        });
      }
    }
  });

describe('decoding one token with grouped queries', () => {
  // The one-row path pairs the heads of a group; with every kv head repeated (Hkv = Hq) the
  // same call takes the general path, which pairs rows. Both must give the same bits.
  for (const [Hq, Hkv, D, P] of [
    [4, 2, 32, 600],
    [16, 8, 128, 77],
    [6, 2, 5, 13],
    [3, 1, 3, 0],
  ]) {
    it(`gives the general path's numbers to the bit (Hq ${Hq}, Hkv ${Hkv}, D ${D}, P ${P})`, () => {
      const N = P + 1;
      const group = Hq / Hkv;
      const q = random(Float32Array, Hq * D, 5, 2);
      const k = random(Float32Array, N * Hkv * D, 6, 2);
      const v = random(Float32Array, N * Hkv * D, 7);
      const repeated = (src: Floats) =>
        Float32Array.from({ length: N * Hq * D }, (_, at) => {
          const [j, h, i] = [Math.floor(at / (Hq * D)), Math.floor((at % (Hq * D)) / D), at % D];
          return src[(j * Hkv + Math.floor(h / group)) * D + i];
        });
      const grouped = { out: new Float32Array(Hq * D), lse: new Float32Array(Hq) };
      const general = { out: new Float32Array(Hq * D), lse: new Float32Array(Hq) };
      attentionForward({ ...grouped, q, k, v, T: 1, P, Hq, Hkv, D }, jsKernels);
      attentionForward({ ...general, q, k: repeated(k), v: repeated(v), T: 1, P, Hq, Hkv: Hq, D }, simd ?? jsKernels);
      expect(grouped.out).toEqual(general.out);
      expect(grouped.lse).toEqual(general.lse);
    });
  }
});

describe('the WebAssembly SIMD and TypeScript attention kernels', () => {
  for (const dims of cases) {
    it(`give the same doubles to the bit, forward and backward ${JSON.stringify(dims)}`, () => {
      if (simd === undefined) throw new Error('no WebAssembly SIMD');
      const { T, P, Hq, Hkv, D } = dims;
      const q = random(Float64Array, T * Hq * D, 11, 2);
      const k = random(Float64Array, (P + T) * Hkv * D, 12, 2);
      const v = random(Float64Array, (P + T) * Hkv * D, 13);
      const dout = random(Float64Array, T * Hq * D, 14);
      const run = (kernels: CpuKernels) => {
        const out = new Float64Array(T * Hq * D);
        const lse = new Float64Array(Hq * T);
        attentionForward({ ...dims, out, lse, q, k, v }, kernels);
        const [dq, dk, dv] = [new Float64Array(q.length), new Float64Array(k.length), new Float64Array(v.length)];
        attentionBackward({ ...dims, dq, dk, dv, dout, q, k, v, out, lse }, kernels);
        return { out, lse, dq, dk, dv };
      };
      expect(run(simd)).toEqual(run(jsKernels));
    });
  }
});
