import { describe, expect, it } from 'vitest';
import { gpuAvailable, maxError, randomArray, testGpu } from '../../../../tests/support/gpu';
import type { MatmulSpec } from '../../backend';
import { CpuBackend } from '../../cpu/backend';
import { roundToBf16, roundToHalf } from '../../half-floats';
import { dequantizeRows, quantizeRows } from '../../quantize';
import { type Binding, GpuContext, type HalfBinding } from '../context';
import { EngineDevice } from '../device';
import { encodeMatmul, type MatmulKernel } from './matmul';

/** out = α · op(a) · op(b) (+ out) (+ u · bᵀ) on the float64 CPU backend, from the same inputs. */
function reference(spec: MatmulSpec<Float32Array> & { a: Float32Array; b: Float32Array; out?: Float32Array }) {
  const cpu = new CpuBackend(Float64Array);
  const { a, b, out, lora, M, N } = spec;
  const expected = out === undefined ? cpu.zeros(M * N, 'out') : cpu.upload(out, 'out');
  cpu.matmul({
    ...spec,
    out: expected,
    a: cpu.upload(a, 'a'),
    b: cpu.upload(b, 'b'),
    lora: lora && { u: cpu.upload(lora.u, 'u'), b: cpu.upload(lora.b, 'B'), R: lora.R },
  });
  return expected;
}

// Tolerance: f32 accumulation over K terms of products of values in [-1, 1): |error| ≲ K · 2^-24 · K; 1e-4 relative is ample up to K = 300.
const tolerance = 1e-4;

describe.skipIf(!gpuAvailable)('matmul kernel vs the float64 CPU backend', () => {
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [3, 5, 7],
    [64, 64, 16],
    [65, 67, 33],
    [130, 70, 200],
    [7, 300, 129],
    [68, 72, 33], // the block kernel's nn and tn layouts with a K tail (K % 4 ≠ 0) and partial blocks
    [1, 40, 24], // a single row (decode)
  ];
  for (const [M, N, K] of shapes) {
    type Variant = [transA: boolean, transB: boolean, kernel: MatmulKernel];
    const variants: Variant[] = [
      [false, true, 'tiled'],
      [false, false, 'tiled'],
      [true, false, 'tiled'],
    ];
    if (K % 4 === 0) variants.push([false, true, 'rowdot'], [false, true, 'block'], [false, true, 'matvec']);
    if (N % 4 === 0) variants.push([false, false, 'block']);
    if (M % 4 === 0 && N % 4 === 0) variants.push([true, false, 'block']);
    for (const [transA, transB, kernel] of variants) {
      it(`M=${M} N=${N} K=${K} transA=${transA} transB=${transB} ${kernel}`, async () => {
        const ctx = await testGpu();
        const a = randomArray(M * K, M * 31 + K);
        const b = randomArray(N * K, N * 17 + K + 1);
        const out = ctx.zeros(M * N, 'out');
        const encoder = ctx.device.createCommandEncoder();
        encodeMatmul(ctx, encoder, {
          out,
          a: ctx.upload(a, 'a'),
          b: ctx.upload(b, 'b'),
          M,
          N,
          K,
          transA,
          transB,
          alpha: 0.5,
          kernel,
        });
        await ctx.submit(encoder);
        const expected = reference({ a, b, M, N, K, transA, transB, alpha: 0.5 });
        const err = maxError(await ctx.read(out, M * N), expected);
        expect(err.rel).toBeLessThan(tolerance);
      });
    }
  }

  // [M, N, K, kernel]: the block kernel writes C a vec4 at a time where N % 4 == 0, else a value at a time.
  it.each([
    [5, 9, 11, undefined],
    [6, 10, 12, 'block'],
    [6, 12, 12, 'block'],
    [1, 10, 12, 'matvec'],
    [6, 10, 12, 'matvec'],
  ] as const)('accumulates into the output: M=%i N=%i K=%i %s', async (M, N, K, kernel) => {
    const ctx = await testGpu();
    const a = randomArray(M * K, 1);
    const b = randomArray(N * K, 2);
    const c0 = randomArray(M * N, 3);
    const out = ctx.upload(c0, 'out');
    const encoder = ctx.device.createCommandEncoder();
    encodeMatmul(ctx, encoder, {
      out,
      a: ctx.upload(a, 'a'),
      b: ctx.upload(b, 'b'),
      M,
      N,
      K,
      transB: true,
      accumulate: true,
      ...(kernel === 'block' ? { kernel, block: { rows: 4, cols: 8 } } : kernel !== undefined ? { kernel } : {}),
    });
    await ctx.submit(encoder);
    const expected = reference({ out: c0, a, b, M, N, K, transB: true, accumulate: true });
    expect(maxError(await ctx.read(out, M * N), expected).rel).toBeLessThan(tolerance);
  });

  for (const [M, N, K, R, kernel] of [
    [3, 5, 7, 2, 'tiled'],
    [70, 130, 40, 16, 'tiled'],
    [65, 64, 33, 17, 'tiled'],
    [70, 130, 40, 16, 'rowdot'],
    [5, 9, 12, 4, 'rowdot'],
    [70, 130, 40, 16, 'block'],
    [5, 9, 12, 4, 'block'],
    [1, 9, 12, 4, 'block'],
    [1, 9, 12, 4, 'matvec'],
    [7, 130, 40, 17, 'matvec'],
  ] as const) {
    it(`fuses a LoRA branch: M=${M} N=${N} K=${K} R=${R} ${kernel}`, async () => {
      const ctx = await testGpu();
      const x = randomArray(M * K, 1 + M);
      const w = randomArray(N * K, 2 + N);
      const u = randomArray(M * R, 3 + R);
      const loraB = randomArray(N * R, 4 + R);
      const out = ctx.zeros(M * N, 'out');
      const encoder = ctx.device.createCommandEncoder();
      encodeMatmul(ctx, encoder, {
        out,
        a: ctx.upload(x, 'x'),
        b: ctx.upload(w, 'w'),
        M,
        N,
        K,
        transB: true,
        kernel,
        lora: { u: ctx.upload(u, 'u'), b: ctx.upload(loraB, 'B'), R },
      });
      await ctx.submit(encoder);
      const expected = reference({ a: x, b: w, M, N, K, transB: true, lora: { u, b: loraB, R } });
      expect(maxError(await ctx.read(out, M * N), expected).rel).toBeLessThan(tolerance);
    });
  }

  it('allocates no new pooled buffers on a repeated step', async () => {
    const ctx = await testGpu();
    const a = ctx.upload(randomArray(12, 4), 'a');
    const b = ctx.upload(randomArray(12, 5), 'b');
    const out = ctx.zeros(9, 'out');
    const step = async () => {
      const encoder = ctx.device.createCommandEncoder();
      encodeMatmul(ctx, encoder, { out, a, b, M: 3, N: 3, K: 4, transB: true });
      await ctx.submit(encoder);
      await ctx.read(out, 9);
    };
    await step();
    const created = ctx.pool.created;
    await step();
    await step();
    expect(ctx.pool.created).toBe(created);
  });

  // Every register block the shape classes use (and an uneven one), on one product per layout.
  for (const [rows, cols] of [
    [1, 4],
    [4, 32],
    [4, 16],
    [16, 16],
    [12, 8],
  ] as const) {
    for (const [transA, transB] of [
      [false, true],
      [false, false],
      [true, false],
    ] as const) {
      if (transA && rows % 4 !== 0) continue; // 'tn' reads A as vec4 along m: whole groups of 4 rows
      // With subgroups of 4 (SwiftShader) the lanes share A's rows where the block allows:
      // that kernel by default, and the one that loads every row when told not to share.
      for (const shareA of [true, false])
        it(`block ${rows}×${cols} transA=${transA} transB=${transB}${shareA ? '' : ' without shared rows'}`, async () => {
          const ctx = await testGpu();
          const [M, N, K] = [36, 76, 44];
          const a = randomArray(M * K, rows + 2 * cols);
          const b = randomArray(N * K, rows + 3 * cols);
          const c0 = randomArray(M * N, 5);
          const out = ctx.upload(c0, 'out');
          const encoder = ctx.device.createCommandEncoder();
          const block = { rows, cols };
          const [A, B] = [ctx.upload(a, 'a'), ctx.upload(b, 'b')];
          encodeMatmul(ctx, encoder, {
            out,
            a: A,
            b: B,
            M,
            N,
            K,
            transA,
            transB,
            alpha: 2,
            accumulate: true,
            kernel: 'block',
            block,
            shareA,
          });
          await ctx.submit(encoder);
          const expected = reference({ out: c0, a, b, M, N, K, transA, transB, alpha: 2, accumulate: true });
          expect(maxError(await ctx.read(out, M * N), expected).rel).toBeLessThan(tolerance);
        });
    }
  }

  it('opens SwiftShader with subgroups of 4, so the block kernel shares rows there', async () => {
    const ctx = await testGpu();
    if (!/swiftshader/i.test(ctx.engine.adapterName)) return; // other adapters: whatever their subgroups are
    expect(ctx.engine.subgroupSize).toBe(4);
  });

  it('refuses the block kernel where its vec4 loads do not fit, naming the condition', async () => {
    const ctx = await testGpu();
    const buf = ctx.zeros(64, 'x');
    expect(() =>
      encodeMatmul(ctx, ctx.device.createCommandEncoder(), {
        out: buf,
        a: buf,
        b: buf,
        M: 3,
        N: 3,
        K: 6,
        transB: true,
        kernel: 'block',
      }),
    ).toThrow('matmul: the block kernel needs vec4 rows');
  });

  it('takes the matvec kernel on a GPU adapter for up to 4 rows of the forward layout, the tiled one beyond', async () => {
    // The test device, described as a hardware adapter: the choice depends only on that flag.
    const gpu = new GpuContext(new EngineDevice((await testGpu()).device, 'a GPU (test)', false, undefined, false));
    for (const [M, kernel] of [
      [1, 'matvec1'],
      [4, 'matvec4'],
      [5, 'nt'],
    ] as const) {
      const [N, K] = [40, 24];
      const a = randomArray(M * K, M);
      const b = randomArray(N * K, 2);
      const out = gpu.zeros(M * N, 'out');
      const encoder = gpu.device.createCommandEncoder();
      encodeMatmul(gpu, encoder, { out, a: gpu.upload(a, 'a'), b: gpu.upload(b, 'b'), M, N, K, transB: true });
      await gpu.submit(encoder);
      expect(gpu.programs.has('matmul', `${kernel}+f32`)).toBe(true);
      const expected = reference({ a, b, M, N, K, transB: true });
      expect(maxError(await gpu.read(out, M * N), expected).rel).toBeLessThan(tolerance);
    }
    expect(gpu.programs.size).toBe(3);
  });

  it('refuses the matvec kernel where it does not apply, naming the condition', async () => {
    const ctx = await testGpu();
    const buf = ctx.zeros(64, 'x');
    const encode = (K: number, transB: boolean) =>
      encodeMatmul(ctx, ctx.device.createCommandEncoder(), {
        out: buf,
        a: buf,
        b: buf,
        M: 1,
        N: 3,
        K,
        transB,
        kernel: 'matvec',
      });
    expect(() => encode(6, true)).toThrow('matmul: the matvec kernel needs transB, no transA, and K a multiple of 4');
    expect(() => encode(8, false)).toThrow('matmul: the matvec kernel needs transB');
  });

  it('refuses a non-positive size, naming it', async () => {
    const ctx = await testGpu();
    const buf = ctx.zeros(4, 'x');
    expect(() =>
      encodeMatmul(ctx, ctx.device.createCommandEncoder(), { out: buf, a: buf, b: buf, M: 0, N: 1, K: 1 }),
    ).toThrow('matmul: M must be a positive integer, got 0');
  });
});

function uploadHalf(ctx: GpuContext, data: Float32Array): HalfBinding {
  const half = ctx.uploadHalf(data, 'w (f16)');
  if (half === undefined) throw new Error('test weights must fit f16');
  return half;
}

function uploadBf16(ctx: GpuContext, data: Float32Array): HalfBinding {
  const half = ctx.uploadBf16(data, 'w (bf16)');
  if (half === undefined) throw new Error('test weights must be bf16 values');
  return half;
}

// Stored weights: the kernel must compute with exactly the stored values (f16-rounded, or
// dequantized), so the reference takes those values and the tolerance stays that of f32
// accumulation; that the stored values differ from the originals shows each case would
// catch a kernel reading b as f32.
describe.skipIf(!gpuAvailable)(
  'matmul with a stored weight (b: f16, bf16, int8, int4) vs the float64 CPU backend',
  () => {
    type Case = [M: number, N: number, K: number, transB: boolean, kernel: MatmulKernel, R: number];
    const cases: Case[] = [
      [3, 5, 32, true, 'tiled', 0],
      [65, 67, 32, true, 'tiled', 0],
      [65, 64, 32, false, 'tiled', 0], // the backward dX = dY·W reads W untransposed
      [70, 130, 64, true, 'rowdot', 0],
      [70, 130, 64, true, 'rowdot', 16],
      [65, 64, 32, true, 'tiled', 17],
      [70, 130, 64, true, 'block', 0],
      [70, 130, 64, true, 'block', 16],
      [1, 130, 64, true, 'block', 0], // decode
      [65, 64, 32, false, 'block', 0], // dX = dY·W
      [1, 130, 64, true, 'matvec', 0], // decode on a GPU
      [3, 67, 96, true, 'matvec', 5],
    ];
    const stores: [string, (ctx: GpuContext, b: Float32Array, N: number) => [Binding, Float32Array]][] = [
      ['f16', (ctx, b) => [uploadHalf(ctx, b), roundToHalf(b)]],
      ['bf16', (ctx, b) => [uploadBf16(ctx, roundToBf16(b)), roundToBf16(b)]],
      [
        'int8',
        (ctx, b, N) => [ctx.uploadQuant(b, N, 'int8', 0, 'w'), dequantizeRows(quantizeRows(b, N, 'int8', 0, 'w'))],
      ],
      [
        'int4/8',
        (ctx, b, N) => [ctx.uploadQuant(b, N, 'int4', 8, 'w'), dequantizeRows(quantizeRows(b, N, 'int4', 8, 'w'))],
      ],
      [
        'int4/32',
        (ctx, b, N) => [ctx.uploadQuant(b, N, 'int4', 32, 'w'), dequantizeRows(quantizeRows(b, N, 'int4', 32, 'w'))],
      ],
    ];
    for (const [store, upload] of stores) {
      for (const [M, N, K, transB, kernel, R] of cases) {
        it(`${store}: M=${M} N=${N} K=${K} transB=${transB} ${kernel}${R > 0 ? ` LoRA R=${R}` : ''}`, async () => {
          const ctx = await testGpu();
          const a = randomArray(M * K, M + 5 * K);
          // Stored as a Linear weight (N, K) either way; without transB the product reads it as (K', N') = (N, K).
          const b = randomArray(N * K, N + 3 * K);
          const [stored, values] = upload(ctx, b, transB ? N : K);
          const u = randomArray(M * R, 7 + R);
          const loraB = randomArray(N * R, 9 + R);
          const lora = R > 0 ? { u: ctx.upload(u, 'u'), b: ctx.upload(loraB, 'B'), R } : undefined;
          const out = ctx.zeros(M * N, 'out');
          const encoder = ctx.device.createCommandEncoder();
          // The weight is read the same way whatever the block: a small one compiles fast.
          const block = kernel === 'block' && M > 1 ? { rows: 4, cols: 8 } : undefined;
          encodeMatmul(ctx, encoder, { out, a: ctx.upload(a, 'a'), b: stored, M, N, K, transB, kernel, lora, block });
          await ctx.submit(encoder);
          const cpuLora = R > 0 ? { u, b: loraB, R } : undefined;
          const expected = reference({ a, b: values, M, N, K, transB, lora: cpuLora });
          expect(maxError(await ctx.read(out, M * N), expected).rel).toBeLessThan(tolerance);
          const exact = reference({ a, b, M, N, K, transB, lora: cpuLora });
          expect(maxError(expected, exact).abs).toBeGreaterThan(1e-5);
        });
      }
    }

    it('refuses an f16 operand a, naming it', async () => {
      const ctx = await testGpu();
      const w = uploadHalf(ctx, randomArray(16, 1));
      const out = ctx.zeros(16, 'out');
      expect(() => encodeMatmul(ctx, ctx.device.createCommandEncoder(), { out, a: w, b: w, M: 4, N: 4, K: 4 })).toThrow(
        'matmul: w (f16) is f16; only the weight operand b may be',
      );
    });
  },
);
