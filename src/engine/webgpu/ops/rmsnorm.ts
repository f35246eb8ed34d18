import type { RmsNormBackwardArgs, RmsNormForwardArgs } from '../../backend';
import type { Binding, GpuContext } from '../context';
import { foldDispatch } from '../programs';
import { rmsNormBackwardWgsl, rmsNormForwardWgsl } from './rmsnorm.wgsl';

export function encodeRmsNormForward(
  ctx: GpuContext,
  encoder: GPUCommandEncoder,
  args: RmsNormForwardArgs<Binding>,
): void {
  const pipeline = ctx.programs.get('rmsNormForward', 'f32', rmsNormForwardWgsl);
  const uniforms = ctx.uniforms([{ u32: args.rows }, { u32: args.C }, { f32: args.eps }, { u32: 0 }], 'rmsNorm dims');
  ctx.dispatch(encoder, pipeline, [uniforms, args.inp, args.weight, args.out, args.rstd], foldDispatch(args.rows));
}

/** The gradient with respect to the input only: norm weights are frozen under LoRA. */
export function encodeRmsNormBackward(
  ctx: GpuContext,
  encoder: GPUCommandEncoder,
  args: RmsNormBackwardArgs<Binding>,
): void {
  const pipeline = ctx.programs.get('rmsNormBackward', 'f32', rmsNormBackwardWgsl);
  const uniforms = ctx.uniforms(
    [{ u32: args.rows }, { u32: args.C }, { f32: 0 }, { u32: args.accumulate ? 1 : 0 }],
    'rmsNorm dims',
  );
  ctx.dispatch(
    encoder,
    pipeline,
    [uniforms, args.dout, args.inp, args.weight, args.rstd, args.dinp],
    foldDispatch(args.rows),
  );
}
