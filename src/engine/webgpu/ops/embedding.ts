import type { AddArgs } from '../../backend';
import { isQuant, storageOf, type Binding, type GpuContext } from '../context';
import { embeddingWgsl, residualAddWgsl } from './embedding.wgsl';
import { elementwiseDispatch } from './swiglu';
import type { VocabShard } from './vocab-logprobs';

/** The port's embedding with the table split into shards (rows of the vocabulary). */
export interface ShardedEmbeddingArgs {
  out: Binding; // (T, C)
  ids: Binding; // (T) u32
  shards: readonly VocabShard[]; // the embedding table, (vocab, C) split by rows
  T: number;
  C: number;
}

/** Records out[t] = table[ids[t]]; each shard writes the rows whose ids it holds. */
export function encodeEmbedding(ctx: GpuContext, encoder: GPUCommandEncoder, args: ShardedEmbeddingArgs): void {
  let v0 = 0;
  for (const shard of args.shards) {
    const kind = storageOf(shard.weight);
    const pipeline = ctx.programs.get('embedding', kind, () => embeddingWgsl(kind));
    const uniforms = ctx.uniforms(
      [
        { u32: args.T },
        { u32: args.C },
        { u32: v0 },
        { u32: shard.rows },
        { u32: isQuant(shard.weight) ? shard.weight.groupSize : 0 },
      ],
      'embedding dims',
    );
    const scales = isQuant(shard.weight) ? [shard.weight.scales] : [];
    ctx.dispatch(
      encoder,
      pipeline,
      [uniforms, args.ids, shard.weight, args.out, ...scales],
      elementwiseDispatch(args.T * args.C),
    );
    v0 += shard.rows;
  }
}

/** Records x += delta over n elements: the residual connection, and gradient accumulation. */
export function encodeResidualAdd(ctx: GpuContext, encoder: GPUCommandEncoder, args: AddArgs<Binding>): void {
  const pipeline = ctx.programs.get('residualAdd', 'f32', residualAddWgsl);
  ctx.dispatch(
    encoder,
    pipeline,
    [ctx.uniforms([{ u32: args.n }, { u32: 0 }], 'residual add dims'), args.delta, args.x],
    elementwiseDispatch(args.n),
  );
}
