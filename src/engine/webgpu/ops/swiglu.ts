import type { Binding, GpuContext } from '../context';
import { foldDispatch } from '../programs';
import { swigluBackwardWgsl, swigluForwardWgsl } from './swiglu.wgsl';

/** Workgroups for one thread per element, folded past 65,535. */
export function elementwiseDispatch(n: number): [number, number] {
  return foldDispatch(Math.ceil(n / 256));
}

export interface SwigluForwardArgs {
  out: Binding; //  (T, I)
  gate: Binding; // (T, I)
  up: Binding; //   (T, I)
  n: number; //       T · I
}

export function encodeSwigluForward(ctx: GpuContext, encoder: GPUCommandEncoder, args: SwigluForwardArgs): void {
  const pipeline = ctx.programs.get('swigluForward', 'f32', swigluForwardWgsl);
  const uniforms = ctx.uniforms([{ u32: args.n }, { u32: 0 }], 'swiglu dims');
  ctx.dispatch(encoder, pipeline, [uniforms, args.gate, args.up, args.out], elementwiseDispatch(args.n));
}

export interface SwigluBackwardArgs {
  dgate: Binding; // (T, I)
  dup: Binding; //   (T, I)
  dout: Binding; //  (T, I)
  gate: Binding; //  (T, I)
  up: Binding; //    (T, I)
  n: number;
  accumulate?: boolean;
}

export function encodeSwigluBackward(ctx: GpuContext, encoder: GPUCommandEncoder, args: SwigluBackwardArgs): void {
  const pipeline = ctx.programs.get('swigluBackward', 'f32', swigluBackwardWgsl);
  const uniforms = ctx.uniforms([{ u32: args.n }, { u32: args.accumulate ? 1 : 0 }], 'swiglu dims');
  ctx.dispatch(
    encoder,
    pipeline,
    [uniforms, args.dout, args.gate, args.up, args.dgate, args.dup],
    elementwiseDispatch(args.n),
  );
}
