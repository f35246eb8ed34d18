import { BufferPool } from '../buffers';
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
  /**
   * Where to keep each chunk's logits for the backward instead of the scratch (training): one
   * binding per chunk of keptLogitsValues(chunkTokens, V) values.
   */
  kept?: readonly Binding[];
}

/** The values of one chunk's kept logits: shard s's (rows, shard rows) at chunkTokens · (its first row). */
export function keptLogitsValues(chunkTokens: number, V: number): number {
  return chunkTokens * V;
}

/**
 * The most the WebGPU backend keeps of a training forward's logits, by default: 512 MiB, the
 * 8 chunks of 512 tokens at Qwen3's 151,936-token vocabulary (each chunk a pooled 64 MiB).
 */
export const defaultKeptLogitsBytes = 2 ** 29;

/** How many chunks of logits a forward of T tokens keeps within `budget` bytes of pooled buffers: all of them, or none. */
export function keptLogitsChunks(T: number, V: number, budget: number): number {
  const chunks = Math.ceil(T / vocabChunkTokens);
  return chunks * BufferPool.bucket(keptLogitsValues(vocabChunkTokens, V) * 4) <= budget ? chunks : 0;
}

/** Where a pass puts each chunk's logits: the chunks' kept logits, or one scratch buffer they share. */
type LogitsHome = { kept: readonly Binding[] } | { scratch: GPUBuffer };

/** The logits home of a pass: the kept chunks if given, else a pooled scratch of (chunk, largest shard) released after the submit. */
function logitsHome(ctx: GpuContext, kept: readonly Binding[] | undefined, bytes: number, label: string): LogitsHome {
  if (kept !== undefined) return { kept };
  const scratch = ctx.pool.acquire(bytes, tensorUsage, label);
  ctx.pool.releaseAfterSubmit(scratch);
  return { scratch };
}

/** Chunk `c`'s logits over a shard whose first row is `shardStart`. */
function logitsRegion(
  home: LogitsHome,
  c: number,
  chunkTokens: number,
  shardStart: number,
  rows: number,
  shardRows: number,
): Binding {
  if ('scratch' in home) return home.scratch;
  const kept = home.kept;
  if (kept[c] === undefined) throw new Error(`vocab log-probs: no kept logits for chunk ${c}`);
  // chunkTokens is a multiple of 64, so every region starts 256-byte aligned.
  return subBinding(kept[c], chunkTokens * shardStart * 4, rows * shardRows * 4);
}

/** logits (rows, shard rows) = hidden chunk (rows, C) · shardᵀ: one chunk's logits over one shard of the head. */
function encodeChunkLogits(
  ctx: GpuContext,
  encoder: GPUCommandEncoder,
  logits: Binding,
  hiddenChunk: Binding,
  shard: VocabShard,
  rows: number,
  C: number,
): void {
  encodeMatmul(ctx, encoder, {
    out: logits,
    a: hiddenChunk,
    b: shard.weight,
    M: rows,
    N: shard.rows,
    K: C,
    transB: true,
  });
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
  const home = logitsHome(ctx, args.kept, Math.min(chunkTokens, T) * maxRows * 4, 'vocab logits chunk');
  const state = ctx.pool.acquire(Math.min(chunkTokens, T) * 3 * 4, tensorUsage, 'vocab logsumexp state');
  const reduce = ctx.programs.get('vocabReduce', 'f32', vocabReduceWgsl);
  const finalize = ctx.programs.get('vocabFinalize', 'f32', vocabFinalizeWgsl);
  const starts = shardStarts(shards);
  for (const [c, [start, rows]] of chunkList.entries()) {
    const hiddenChunk = subBinding(args.hidden, start * C * 4, rows * C * 4);
    shards.forEach((shard, s) => {
      const logits = logitsRegion(home, c, chunkTokens, starts[s], rows, shard.rows);
      encodeChunkLogits(ctx, encoder, logits, hiddenChunk, shard, rows, C);
      const uniforms = ctx.uniforms(
        [{ u32: rows }, { u32: shard.rows }, { u32: starts[s] }, { u32: start }, { u32: s === 0 ? 1 : 0 }],
        'vocab dims',
      );
      ctx.dispatch(encoder, reduce, [uniforms, logits, args.targets, state], foldDispatch(rows));
    });
    const uniforms = ctx.uniforms([{ u32: rows }, { u32: 0 }, { u32: 0 }, { u32: start }, { u32: 0 }], 'vocab dims');
    ctx.dispatch(encoder, finalize, [uniforms, state, args.logprobs, args.lse], [Math.ceil(rows / 64)]);
  }
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
  /** The logits the forward kept (ShardedVocabLogprobsArgs.kept), turned into their gradient in place; else recomputed. */
  kept?: readonly Binding[];
}

/** dhidden += Σ_v dlogits[t, v] · W[v, :], from the logits the forward kept or recomputing each chunk's. */
export function encodeVocabLogprobsBackward(
  ctx: GpuContext,
  encoder: GPUCommandEncoder,
  args: ShardedVocabLogprobsBackwardArgs,
): void {
  const { T, C, shards } = args;
  const chunkTokens = args.chunkTokens ?? 256;
  const chunkList = chunks(T, chunkTokens);
  const maxRows = Math.max(...shards.map((s) => s.rows));
  const home = logitsHome(ctx, args.kept, Math.min(chunkTokens, T) * maxRows * 4, 'vocab dlogits chunk');
  const gradient = ctx.programs.get('vocabGradient', 'f32', vocabGradientWgsl);
  const starts = shardStarts(shards);
  for (const [c, [start, rows]] of chunkList.entries()) {
    const hiddenChunk = subBinding(args.hidden, start * C * 4, rows * C * 4);
    const dhiddenChunk = subBinding(args.dhidden, start * C * 4, rows * C * 4);
    shards.forEach((shard, s) => {
      const logits = logitsRegion(home, c, chunkTokens, starts[s], rows, shard.rows);
      if ('scratch' in home) encodeChunkLogits(ctx, encoder, logits, hiddenChunk, shard, rows, C);
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
}
