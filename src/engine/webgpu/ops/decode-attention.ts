import type { Binding, GpuContext } from '../context';
import { decodeAttentionWgsl } from './decode-attention.wgsl';

export interface DecodeAttentionArgs {
  out: Binding; // (Hq, D)
  q: Binding; //   (Hq, D), already rotated
  k: Binding; //   (≥ L, Hkv, D) cache holding the new token's key at L − 1
  v: Binding; //   (≥ L, Hkv, D)
  L: number; //      keys to attend to (cache length including the new token)
  Hq: number;
  Hkv: number;
  D: number;
}

/** Records attention of one new token over L cached keys, split across 64 threads per head. */
export function encodeDecodeAttention(ctx: GpuContext, encoder: GPUCommandEncoder, a: DecodeAttentionArgs): void {
  if (a.Hq % a.Hkv !== 0)
    throw new Error(`decode attention: ${a.Hq} query heads are not a multiple of ${a.Hkv} key/value heads`);
  if (a.L < 1) throw new Error(`decode attention: the cache must hold at least the new token, got L = ${a.L}`);
  const pipeline = ctx.programs.get('decodeAttention', `D${a.D}`, () => decodeAttentionWgsl(a.D));
  const uniforms = ctx.uniforms(
    [{ u32: a.L }, { u32: a.Hq }, { u32: a.Hkv }, { f32: 1 / Math.sqrt(a.D) }],
    'decode attention dims',
  );
  ctx.dispatch(encoder, pipeline, [uniforms, a.q, a.k, a.v, a.out], [a.Hq]);
}
