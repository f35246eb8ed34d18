import type { AttentionBackwardArgs, AttentionDims, AttentionForwardArgs } from '../../backend';
import type { Binding, GpuContext } from '../context';
import {
  attentionBackwardKeyValueWgsl,
  attentionBackwardQueryWgsl,
  attentionDeltaWgsl,
  attentionForwardWgsl,
} from './attention.wgsl';

function check(d: AttentionDims): void {
  if (d.Hq % d.Hkv !== 0)
    throw new Error(`attention: ${d.Hq} query heads are not a multiple of ${d.Hkv} key/value heads`);
  if (d.T < 1) throw new Error(`attention: needs at least one query, got T = ${d.T}`);
}

function uniforms(ctx: GpuContext, d: AttentionDims) {
  return ctx.uniforms(
    [{ u32: d.T }, { u32: d.P }, { u32: d.Hq }, { u32: d.Hkv }, { f32: 1 / Math.sqrt(d.D) }],
    'attention dims',
  );
}

export function encodeAttentionForward(
  ctx: GpuContext,
  encoder: GPUCommandEncoder,
  a: AttentionForwardArgs<Binding>,
): void {
  check(a);
  const pipeline = ctx.programs.get('attentionForward', `D${a.D}`, () => attentionForwardWgsl(a.D));
  ctx.dispatch(encoder, pipeline, [uniforms(ctx, a), a.q, a.k, a.v, a.out, a.lse], [Math.ceil(a.T / 64), a.Hq]);
}

/** Overwrites dq, dk and dv (the caller adds them into the residual stream's gradient through the projections). */
export function encodeAttentionBackward(
  ctx: GpuContext,
  encoder: GPUCommandEncoder,
  a: AttentionBackwardArgs<Binding>,
): void {
  check(a);
  const delta = ctx.pool.acquire(a.Hq * a.T * 4, 0x0080 | 0x0004 | 0x0008, 'attention delta');
  const u = uniforms(ctx, a);
  const deltaPipeline = ctx.programs.get('attentionDelta', `D${a.D}`, () => attentionDeltaWgsl(a.D));
  ctx.dispatch(encoder, deltaPipeline, [u, a.out, a.dout, delta], [Math.ceil(a.T / 64), a.Hq]);
  const query = ctx.programs.get('attentionBackwardQuery', `D${a.D}`, () => attentionBackwardQueryWgsl(a.D));
  ctx.dispatch(encoder, query, [u, a.q, a.k, a.v, a.dout, a.lse, delta, a.dq], [Math.ceil(a.T / 64), a.Hq]);
  const keyValue = ctx.programs.get('attentionBackwardKeyValue', `D${a.D}`, () => attentionBackwardKeyValueWgsl(a.D));
  ctx.dispatch(
    encoder,
    keyValue,
    [u, a.q, a.k, a.v, a.dout, a.lse, delta, a.dk, a.dv],
    [Math.ceil((a.P + a.T) / 64), a.Hkv],
  );
  ctx.pool.releaseAfterSubmit(delta);
}
