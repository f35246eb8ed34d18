import type { MatmulArgs } from '../../backend';
import { isQuant, storageOf, type Binding, type GpuContext } from '../context';
import {
  blockLanes,
  blockSharesA,
  blockWorkgroup,
  matmulBlockWgsl,
  matmulRowDotWgsl,
  matmulTile,
  matmulWgsl,
  type BlockLayout,
  type BlockShape,
} from './matmul.wgsl';
import { matvecOutputs, matvecWgsl } from './matvec.wgsl';
import type { WeightKind } from './weight-read.wgsl';

export type MatmulKernel = 'tiled' | 'rowdot' | 'block' | 'matvec';

/** The most rows of x a GPU takes the matrix-vector kernel for: one pass over the weights. */
export const matvecMaxRows = 4;

export interface MatmulKernelArgs extends MatmulArgs<Binding> {
  /** Force a kernel (tests and benchmarks); by default the shape class and the adapter choose (chooseKernel). */
  kernel?: MatmulKernel;
  /** Force the register block of the 'block' kernel (benchmarks). */
  block?: BlockShape;
  /** false: the 'block' kernel loads all of A's rows in every thread, even where its lanes could share them (tests, benchmarks). */
  shareA?: boolean;
}

/** Whether the register-blocked kernel can run this layout and size (vec4 loads need multiples of 4). */
function blockApplies(layout: BlockLayout | undefined, M: number, N: number, K: number, R: number): boolean {
  if (layout === 'nt') return K % 4 === 0 && R % 4 === 0;
  if (layout === 'nn') return N % 4 === 0 && R === 0;
  if (layout === 'tn') return M % 4 === 0 && N % 4 === 0 && R === 0;
  return false;
}

/**
 * The register block by shape class (npm run bench -- matmul). On SwiftShader each operand
 * load costs more than the multiply-adds it feeds, so larger blocks run faster (32 × 32 more
 * than 16 × 16), but the unrolled kernel's compile time grows faster still (at first use:
 * 16 × 16 about 2 s, 32 × 32 about 30 s), so large-M products take 16 × 16; fewer rows when
 * M is small (no work on clamped duplicate rows); a single row (decode) four outputs per
 * thread, which streams each weight row once and keeps enough threads for every core, or
 * sixteen over bf16 weights, whose loads are cheap enough that the shared row of A counts
 * (about 1.4× the weights per second of f32's 1 × 4 at Qwen3-0.6B's shapes).
 */
export function defaultBlock(layout: BlockLayout, M: number, bKind: WeightKind): BlockShape {
  if (layout === 'tn') return { rows: 16, cols: 16 };
  if (M === 1) return { rows: 1, cols: bKind === 'bf16' ? 16 : 4 };
  return { rows: Math.min(16, 2 ** Math.ceil(Math.log2(M))), cols: 16 };
}

/**
 * Records out = α · op(a) · op(b) (+ out). The forward projection is transB (y = x·Wᵀ);
 * its backward products are dX = dY·W (no transposes) and dW = dYᵀ·X (transA).
 */
export function encodeMatmul(ctx: GpuContext, encoder: GPUCommandEncoder, args: MatmulKernelArgs): void {
  const { M, N, K } = args;
  for (const [name, v] of [
    ['M', M],
    ['N', N],
    ['K', K],
  ] as const) {
    if (!Number.isInteger(v) || v <= 0) throw new Error(`matmul: ${name} must be a positive integer, got ${v}`);
  }
  if (Math.max(M, N) > matmulTile.rows * 65535)
    throw new Error(`matmul: ${M} × ${N} exceeds ${matmulTile.rows * 65535} rows or columns per dispatch`);
  const transA = args.transA ?? false;
  const transB = args.transB ?? false;
  const lora = args.lora;
  const rowDotApplies = !transA && transB && K % 4 === 0 && (lora === undefined || lora.R % 4 === 0);
  if (args.kernel === 'rowdot' && !rowDotApplies)
    throw new Error('matmul: the rowdot kernel needs transB, no transA, and K (and R) multiples of 4');
  const layout: BlockLayout | undefined = transA ? (transB ? undefined : 'tn') : transB ? 'nt' : 'nn';
  const canBlock = blockApplies(layout, M, N, K, lora?.R ?? 0);
  if (args.kernel === 'block' && !canBlock)
    throw new Error(
      'matmul: the block kernel needs vec4 rows: K (and R) multiples of 4 with transB, N with neither transpose, M and N with transA',
    );
  const matvecApplies = layout === 'nt' && K % 4 === 0;
  if (args.kernel === 'matvec' && !matvecApplies)
    throw new Error('matmul: the matvec kernel needs transB, no transA, and K a multiple of 4');
  if (args.kernel === 'matvec' && Math.ceil(N / matvecOutputs) > 65535)
    throw new Error(`matmul: the matvec kernel takes at most ${matvecOutputs * 65535} outputs per dispatch, got ${N}`);
  const rowDot = args.kernel === 'rowdot';
  // CPU adapters (SwiftShader) take the register-blocked kernel wherever it applies; GPUs the
  // matrix-vector kernel for a few rows (decode) and the tiled one otherwise.
  const matvec =
    args.kernel === 'matvec' ||
    (args.kernel === undefined && !ctx.engine.isCpuAdapter && matvecApplies && M <= matvecMaxRows);
  const blocked =
    layout !== undefined &&
    (args.kernel === 'block' || (args.kernel === undefined && ctx.engine.isCpuAdapter && canBlock));
  if (storageOf(args.a) !== 'f32')
    throw new Error(
      `matmul: ${'label' in args.a ? args.a.label : 'a'} is ${storageOf(args.a)}; only the weight operand b may be`,
    );
  const bKind = storageOf(args.b);
  const block = blocked ? (args.block ?? defaultBlock(layout, M, bKind)) : undefined;
  const layoutName = `${transA ? 't' : 'n'}${transB ? 't' : 'n'}`;
  const aVec4 = layout === 'nn' && K % 4 === 0;
  const cVec4 = N % 4 === 0;
  // Lanes share A's rows where the device's subgroups are the kernel's 4 lanes (SwiftShader).
  const shareA =
    block !== undefined &&
    layout !== undefined &&
    args.shareA !== false &&
    ctx.engine.subgroupSize === blockLanes &&
    blockSharesA(layout, block, aVec4);
  const matvecRows = M === 1 ? 1 : 4;
  const kernelName = matvec
    ? `matvec${matvecRows}`
    : rowDot
      ? 'rowdot'
      : block !== undefined
        ? `block${block.rows}x${block.cols}-${layoutName}${aVec4 ? '-a4' : ''}${cVec4 ? '-c4' : ''}${shareA ? '-sg' : ''}`
        : layoutName;
  const variant = `${kernelName}${lora ? '+lora' : ''}+${bKind}`;
  const pipeline = ctx.programs.get('matmul', variant, () => {
    if (matvec) return matvecWgsl(matvecRows, lora !== undefined, bKind);
    if (rowDot) return matmulRowDotWgsl(lora !== undefined, bKind);
    if (block !== undefined && layout !== undefined)
      return matmulBlockWgsl(layout, block, { lora: lora !== undefined, bKind, aVec4, cVec4, shareA });
    return matmulWgsl(transA, transB, lora !== undefined, bKind);
  });
  const workgroups: [number, number] = matvec
    ? [Math.ceil(N / matvecOutputs), Math.ceil(M / matvecRows)]
    : rowDot
      ? [Math.ceil(N / 32), Math.ceil(M / 32)]
      : block !== undefined
        ? [
            Math.ceil(N / (block.cols * blockWorkgroup(block, shareA).x)),
            Math.ceil(M / (block.rows * blockWorkgroup(block, shareA).y)),
          ]
        : [Math.ceil(N / matmulTile.cols), Math.ceil(M / matmulTile.rows)];
  const uniforms = ctx.uniforms(
    [
      { u32: M },
      { u32: N },
      { u32: K },
      { f32: args.alpha ?? 1 },
      { u32: args.accumulate ? 1 : 0 },
      { u32: lora?.R ?? 0 },
      { u32: isQuant(args.b) ? args.b.groupSize : 0 },
    ],
    'matmul dims',
  );
  const scales = isQuant(args.b) ? [args.b.scales] : [];
  const bindings = [uniforms, args.a, args.b, args.out, ...scales, ...(lora ? [lora.u, lora.b] : [])];
  ctx.dispatch(encoder, pipeline, bindings, workgroups);
}
