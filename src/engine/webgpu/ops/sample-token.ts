import type { SampleTokenArgs } from '../../backend';
import { tensorUsage, type Binding, type GpuContext } from '../context';
import { sampleTokenWgsl } from './sample-token.wgsl';

/**
 * Records the sampling of one token from a logits row (./sample-token.wgsl.ts): result gets
 * (id, log-prob), next (when given) the id as a token id. Its scratch comes from the pool, so
 * decoding token after token creates no buffer after the first.
 */
export function encodeSampleToken(ctx: GpuContext, encoder: GPUCommandEncoder, args: SampleTokenArgs<Binding>): void {
  const { V } = args;
  const pipeline = ctx.programs.get('sampleToken', 'f32', sampleTokenWgsl);
  const uniforms = ctx.uniforms(
    [
      { u32: V },
      { u32: args.topK },
      { f32: args.temperature },
      { f32: args.topP },
      { f32: args.uniform },
      { u32: 0 },
      { u32: 0 },
      { u32: 0 },
    ],
    'sample params',
  );
  const keys = ctx.pool.acquire(V * 4, tensorUsage, 'sample keys');
  const weights = ctx.pool.acquire(V * 4, tensorUsage, 'sample weights');
  for (const scratch of [keys, weights]) ctx.pool.releaseAfterSubmit(scratch);
  let next = args.next;
  if (next === undefined) {
    const unused = ctx.pool.acquire(16, tensorUsage, 'sample next (unused)');
    ctx.pool.releaseAfterSubmit(unused);
    next = unused;
  }
  ctx.dispatch(encoder, pipeline, [uniforms, args.logits, args.out, next, keys, weights], [1]);
}
