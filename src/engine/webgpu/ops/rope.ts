import { bufferOf, type Binding, type GpuContext } from '../context';
import { ropeWgsl } from './rope.wgsl';
import { elementwiseDispatch } from './swiglu';

/** cos and sin for every position below `positions` and i < D/2: (positions, D/2, 2), computed in float64. */
export function ropeTable(D: number, theta: number, positions: number): Float32Array {
  const half = D / 2;
  const table = new Float32Array(positions * half * 2);
  for (let p = 0; p < positions; p++) {
    for (let i = 0; i < half; i++) {
      const angle = p * theta ** ((-2 * i) / D);
      table[(p * half + i) * 2] = Math.cos(angle);
      table[(p * half + i) * 2 + 1] = Math.sin(angle);
    }
  }
  return table;
}

/** The port's rope with its cos/sin table built once (ropeTable) instead of θ, and the direction apart. */
export interface RopeKernelArgs {
  x: Binding; //     (T, heads, D), rotated in place
  table: Binding; // (positions ≥ offset + T, D/2, 2) from ropeTable
  T: number;
  heads: number;
  D: number;
  /** Position of the first token (the KV-cache length when decoding). */
  offset: number;
}

/** Rotates q or k in place (forward), or rotates their gradient back (backward). */
export function encodeRope(
  ctx: GpuContext,
  encoder: GPUCommandEncoder,
  args: RopeKernelArgs,
  direction: 'forward' | 'backward',
): void {
  if (args.D % 2 !== 0) throw new Error(`rope: head_dim must be even, got ${args.D}`);
  const needed = (args.offset + args.T) * args.D * 4;
  if (bufferOf(args.table).size < needed)
    throw new Error(`rope: the cos/sin table covers fewer than the ${args.offset + args.T} positions needed`);
  const pipeline = ctx.programs.get('rope', direction, () => ropeWgsl(direction));
  const uniforms = ctx.uniforms(
    [{ u32: args.T }, { u32: args.heads }, { u32: args.D }, { u32: args.offset }],
    'rope dims',
  );
  ctx.dispatch(
    encoder,
    pipeline,
    [uniforms, args.x, args.table],
    elementwiseDispatch((args.T * args.heads * args.D) / 2),
  );
}

export const encodeRopeForward = (ctx: GpuContext, encoder: GPUCommandEncoder, args: RopeKernelArgs) =>
  encodeRope(ctx, encoder, args, 'forward');
export const encodeRopeBackward = (ctx: GpuContext, encoder: GPUCommandEncoder, args: RopeKernelArgs) =>
  encodeRope(ctx, encoder, args, 'backward');
