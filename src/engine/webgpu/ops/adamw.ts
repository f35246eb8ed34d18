import type { AdamWArgs, GradNormArgs } from '../../backend';
import { tensorUsage, type Binding, type GpuContext } from '../context';
import { adamwWgsl, finishNormWgsl, sumSquaresWgsl } from './adamw.wgsl';
import { elementwiseDispatch } from './swiglu';

/** The slice of gradient elements one workgroup of the norm reduction sums. */
const elementsPerGroup = 4096;

/** Records norm[0] = ‖grads‖₂ over n elements (two passes, no read-back). */
export function encodeGradNorm(ctx: GpuContext, encoder: GPUCommandEncoder, args: GradNormArgs<Binding>): void {
  const groups = Math.max(1, Math.ceil(args.n / elementsPerGroup));
  if (groups > 65535) throw new Error(`grad norm: ${args.n} elements exceed ${65535 * elementsPerGroup}`);
  const partials = ctx.pool.acquire(groups * 4, tensorUsage, 'grad norm partials');
  const sumSquares = ctx.programs.get('sumSquares', 'f32', sumSquaresWgsl);
  ctx.dispatch(
    encoder,
    sumSquares,
    [ctx.uniforms([{ u32: args.n }, { u32: elementsPerGroup }], 'grad norm dims'), args.grads, partials],
    [groups],
  );
  const finish = ctx.programs.get('finishNorm', 'f32', finishNormWgsl);
  ctx.dispatch(
    encoder,
    finish,
    [ctx.uniforms([{ u32: groups }, { u32: 0 }], 'grad norm dims'), partials, args.norm],
    [1],
  );
  ctx.pool.releaseAfterSubmit(partials);
}

export function encodeAdamW(ctx: GpuContext, encoder: GPUCommandEncoder, a: AdamWArgs<Binding>): void {
  if (!Number.isInteger(a.step) || a.step < 1) throw new Error(`adamw: step must be an integer ≥ 1, got ${a.step}`);
  const s = a.settings;
  const pipeline = ctx.programs.get('adamw', 'f32', adamwWgsl);
  const uniforms = ctx.uniforms(
    [
      { u32: a.n },
      { f32: s.lr },
      { f32: s.beta1 },
      { f32: s.beta2 },
      { f32: s.eps },
      { f32: s.weightDecay },
      { f32: 1 - s.beta1 ** a.step },
      { f32: 1 - s.beta2 ** a.step },
      { f32: s.maxGradNorm },
    ],
    'adamw dims',
  );
  ctx.dispatch(encoder, pipeline, [uniforms, a.params, a.grads, a.m, a.v, a.norm], elementwiseDispatch(a.n));
}
