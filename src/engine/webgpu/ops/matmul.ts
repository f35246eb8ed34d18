import type { MatmulArgs } from '../../backend';
import { isQuant, storageOf, type Binding, type GpuContext } from '../context';
import { matmulRowDotWgsl, matmulTile, matmulWgsl } from './matmul.wgsl';

export interface MatmulKernelArgs extends MatmulArgs<Binding> {
  /** Force a kernel (tests and benchmarks); by default CPU adapters take 'rowdot' where it applies, GPUs 'tiled'. */
  kernel?: 'tiled' | 'rowdot';
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
  const rowDot = args.kernel === 'rowdot' || (args.kernel === undefined && ctx.engine.isCpuAdapter && rowDotApplies);
  if (storageOf(args.a) !== 'f32')
    throw new Error(
      `matmul: ${'label' in args.a ? args.a.label : 'a'} is ${storageOf(args.a)}; only the weight operand b may be`,
    );
  const bKind = storageOf(args.b);
  const variant = `${rowDot ? 'rowdot' : `${transA ? 't' : 'n'}${transB ? 't' : 'n'}`}${lora ? '+lora' : ''}+${bKind}`;
  const pipeline = ctx.programs.get('matmul', variant, () =>
    rowDot ? matmulRowDotWgsl(lora !== undefined, bKind) : matmulWgsl(transA, transB, lora !== undefined, bKind),
  );
  const workgroups: [number, number] = rowDot
    ? [Math.ceil(N / 32), Math.ceil(M / 32)]
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
