import { subBinding, tensorUsage, type Binding, type GpuContext } from '../context';
import { foldDispatch } from '../programs';
import { encodeMatmul } from './matmul';
import { elementwiseDispatch } from './swiglu';
import { vocabFinalizeWgsl, vocabGradientWgsl, vocabReduceWgsl } from './vocab-logprobs.wgsl';

/** A slice of the LM head's rows: (rows, C). Qwen3's 151,936-row head is split so each slice fits one binding. */
export interface VocabShard {
  weight: Binding; // (rows, C)
  rows: number;
}

/** Token chunks are multiples of 64 so every chunk's offset into (T, C) tensors stays 256-byte aligned. */
export const vocabChunkTokens = 64;

/** The port's vocabLogprobsForward with the LM head split into shards, and a chunk size. */
export interface ShardedVocabLogprobsArgs {
  logprobs: Binding; // (T) log p(target_t)
  lse: Binding; //      (T) log-sum-exp, saved for the backward
  hidden: Binding; //   (T, C) after the final norm
  targets: Binding; //  (T) u32 token ids
  shards: readonly VocabShard[];
  T: number;
  C: number;
  /** Tokens per chunk (a multiple of 64): the scratch logits are (chunk, largest shard). */
  chunkTokens?: number;
}

function chunks(T: number, size: number): [start: number, rows: number][] {
  if (size % vocabChunkTokens !== 0)
    throw new Error(`vocab log-probs: chunkTokens must be a multiple of ${vocabChunkTokens}, got ${size}`);
  const out: [number, number][] = [];
  for (let start = 0; start < T; start += size) out.push([start, Math.min(size, T - start)]);
  return out;
}

function shardStarts(shards: readonly VocabShard[]): number[] {
  const starts: number[] = [];
  let v0 = 0;
  for (const shard of shards) {
    starts.push(v0);
    v0 += shard.rows;
  }
  return starts;
}

/** Records log p(target_t) for every token; only T numbers (plus T saved lse) are written. */
export function encodeVocabLogprobs(ctx: GpuContext, encoder: GPUCommandEncoder, args: ShardedVocabLogprobsArgs): void {
  const { T, C, shards } = args;
  const chunkTokens = args.chunkTokens ?? 256;
  const chunkList = chunks(T, chunkTokens);
  const maxRows = Math.max(...shards.map((s) => s.rows));
  const logits = ctx.pool.acquire(Math.min(chunkTokens, T) * maxRows * 4, tensorUsage, 'vocab logits chunk');
  const state = ctx.pool.acquire(Math.min(chunkTokens, T) * 3 * 4, tensorUsage, 'vocab logsumexp state');
  const reduce = ctx.programs.get('vocabReduce', 'f32', vocabReduceWgsl);
  const finalize = ctx.programs.get('vocabFinalize', 'f32', vocabFinalizeWgsl);
  const starts = shardStarts(shards);
  for (const [start, rows] of chunkList) {
    const hiddenChunk = subBinding(args.hidden, start * C * 4, rows * C * 4);
    shards.forEach((shard, s) => {
      encodeMatmul(ctx, encoder, {
        out: logits,
        a: hiddenChunk,
        b: shard.weight,
        M: rows,
        N: shard.rows,
        K: C,
        transB: true,
      });
      const uniforms = ctx.uniforms(
        [{ u32: rows }, { u32: shard.rows }, { u32: starts[s] }, { u32: start }, { u32: s === 0 ? 1 : 0 }],
        'vocab dims',
      );
      ctx.dispatch(encoder, reduce, [uniforms, logits, args.targets, state], foldDispatch(rows));
    });
    const uniforms = ctx.uniforms([{ u32: rows }, { u32: 0 }, { u32: 0 }, { u32: start }, { u32: 0 }], 'vocab dims');
    ctx.dispatch(encoder, finalize, [uniforms, state, args.logprobs, args.lse], [Math.ceil(rows / 64)]);
  }
  ctx.pool.releaseAfterSubmit(logits);
  ctx.pool.releaseAfterSubmit(state);
}

/** The port's vocabLogprobsBackward with the LM head split into shards, and a chunk size. */
export interface ShardedVocabLogprobsBackwardArgs {
  dhidden: Binding; //   (T, C), accumulated into
  dlogprobs: Binding; // (T) dL/dlog p(target_t)
  hidden: Binding; //    (T, C)
  targets: Binding; //   (T) u32
  lse: Binding; //       (T) from the forward
  shards: readonly VocabShard[];
  T: number;
  C: number;
  chunkTokens?: number;
}

/** dhidden += Σ_v dlogits[t, v] · W[v, :], recomputing each chunk's logits instead of keeping them. */
export function encodeVocabLogprobsBackward(
  ctx: GpuContext,
  encoder: GPUCommandEncoder,
  args: ShardedVocabLogprobsBackwardArgs,
): void {
  const { T, C, shards } = args;
  const chunkTokens = args.chunkTokens ?? 256;
  const chunkList = chunks(T, chunkTokens);
  const maxRows = Math.max(...shards.map((s) => s.rows));
  const logits = ctx.pool.acquire(Math.min(chunkTokens, T) * maxRows * 4, tensorUsage, 'vocab dlogits chunk');
  const gradient = ctx.programs.get('vocabGradient', 'f32', vocabGradientWgsl);
  const starts = shardStarts(shards);
  for (const [start, rows] of chunkList) {
    const hiddenChunk = subBinding(args.hidden, start * C * 4, rows * C * 4);
    const dhiddenChunk = subBinding(args.dhidden, start * C * 4, rows * C * 4);
    shards.forEach((shard, s) => {
      encodeMatmul(ctx, encoder, {
        out: logits,
        a: hiddenChunk,
        b: shard.weight,
        M: rows,
        N: shard.rows,
        K: C,
        transB: true,
      });
      const uniforms = ctx.uniforms(
        [{ u32: rows }, { u32: shard.rows }, { u32: starts[s] }, { u32: start }, { u32: 0 }],
        'vocab dims',
      );
      ctx.dispatch(
        encoder,
        gradient,
        [uniforms, logits, args.targets, args.lse, args.dlogprobs],
        elementwiseDispatch(rows * shard.rows),
      );
      encodeMatmul(ctx, encoder, {
        out: dhiddenChunk,
        a: logits,
        b: shard.weight,
        M: rows,
        N: C,
        K: shard.rows,
        accumulate: true,
      });
    });
  }
  ctx.pool.releaseAfterSubmit(logits);
}
