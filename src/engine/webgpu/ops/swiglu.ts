import type { SwigluBackwardArgs, SwigluForwardArgs } from '../../backend';
import type { Binding, GpuContext } from '../context';
import { foldDispatch } from '../programs';
import { swigluBackwardWgsl, swigluForwardWgsl } from './swiglu.wgsl';

/** Workgroups for one thread per element, folded past 65,535. */
export function elementwiseDispatch(n: number): [number, number] {
  return foldDispatch(Math.ceil(n / 256));
}

export function encodeSwigluForward(
  ctx: GpuContext,
  encoder: GPUCommandEncoder,
  args: SwigluForwardArgs<Binding>,
): void {
  const pipeline = ctx.programs.get('swigluForward', 'f32', swigluForwardWgsl);
  const uniforms = ctx.uniforms([{ u32: args.n }, { u32: 0 }], 'swiglu dims');
  ctx.dispatch(encoder, pipeline, [uniforms, args.gate, args.up, args.out], elementwiseDispatch(args.n));
}

export interface SwigluBackwardKernelArgs extends SwigluBackwardArgs<Binding> {
  /** Add into dgate and dup instead of overwriting them. */
  accumulate?: boolean;
}

export function encodeSwigluBackward(
  ctx: GpuContext,
  encoder: GPUCommandEncoder,
  args: SwigluBackwardKernelArgs,
): void {
  const pipeline = ctx.programs.get('swigluBackward', 'f32', swigluBackwardWgsl);
  const uniforms = ctx.uniforms([{ u32: args.n }, { u32: args.accumulate ? 1 : 0 }], 'swiglu dims');
  ctx.dispatch(
    encoder,
    pipeline,
    [uniforms, args.dout, args.gate, args.up, args.dgate, args.dup],
    elementwiseDispatch(args.n),
  );
}
