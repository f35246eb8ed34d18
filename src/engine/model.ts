import type { Backend } from './backend';
import type { Qwen3Config } from './config';
import {
  activationElements,
  activationTensors,
  allocateActivations,
  allocateGradScratch,
  layerBackward,
  layerForward,
  type CachedPrefix,
  type LayerActivations,
  type LayerGradScratch,
  type LayerLora,
  type LayerWeightGrads,
  type LoraView,
} from './layer';
import type { LoraLayout } from './lora';
import { projectionKey, type ModelWeights } from './params';

/** The forward that per-layer activations were kept from: a backward reuses them for this one only. */
interface KeptForward<T> {
  ids: readonly number[];
  lora: LoraState<T> | undefined;
  loraVersion: number;
  prefix: PrefixKv<T> | undefined;
  prefixLength: number;
}

/**
 * Keeping every layer's activations from the forward spares the backward a second forward
 * through each layer (about a third of a training step), at L times one layer's memory: done
 * while that fits this many bytes, as for the demo models; larger models recompute.
 */
export const defaultKeptActivationBytes = 64 * 2 ** 20;

/** LoRA parameters, their gradients and the optimizer moments, each one flat tensor laid out by `layout`. */
export interface LoraState<T> {
  layout: LoraLayout;
  params: T; // (layout.size)
  grads: T; //  (layout.size)
  /** Counts the optimizer steps taken on `params`, so keys and values cached under older parameters are not reused. */
  version: number;
}

/** Where a backward adds its gradients: into a LoRA adapter, into projection weights (full training), or both. */
export interface GradientTargets<T> {
  /** The adapter the forward applied; its gradients go into lora.grads. */
  lora?: LoraState<T>;
  /** Per layer, the gradients of trained projection weights. */
  weights?: readonly LayerWeightGrads<T>[];
}

/**
 * Per-layer keys and values of a prefix of `length` tokens before a sequence; the rest of the
 * capacity takes the sequence's own keys.
 */
export interface PrefixKv<T> {
  k: readonly T[]; // L of (capacity, Hkv·D)
  v: readonly T[]; // L of (capacity, Hkv·D)
  length: number;
  capacity: number;
}

/**
 * A prompt prefix that several training sequences share, computed once (`sharedPrefix`):
 * its keys and values, each layer's input (for its backward), and the gradient that the
 * sequences' attention sends into its keys and values, gathered per layer by `backward`.
 * `prefixBackward` takes that gradient back through the prefix once, which gives the same
 * gradient as training every sequence in full; skipping it holds the prefix constant.
 */
export interface SharedPrefix<T> extends PrefixKv<T> {
  /** Prefix tokens the tensors below have room for. */
  prefixCapacity: number;
  residuals: readonly T[]; // L of (prefixCapacity, C): each layer's input over the prefix
  dk: readonly T[]; //        L of (prefixCapacity, Hkv·D): gathered gradient of the roped keys
  dv: readonly T[]; //        L of (prefixCapacity, Hkv·D)
  /** Each layer's activations over the prefix, kept for prefixBackward when they fit (else empty: recomputed). */
  acts: readonly LayerActivations<T>[];
  /** LoRA rank the kept activations have room for. */
  rank: number;
  /** The adapter version the prefix was computed under: prefixBackward recomputes if it has moved since. */
  loraVersion: number;
}

/** Per-layer views of the adapters into the flat parameter and gradient tensors. */
export function layerLoras<T>(b: Backend<T>, c: Qwen3Config, lora: LoraState<T> | undefined): LayerLora<T>[] {
  const layers: LayerLora<T>[] = Array.from({ length: c.numLayers }, () => ({}));
  if (lora === undefined) return layers;
  const r = lora.layout.config.rank;
  for (const slot of lora.layout.slots) {
    const aLength = r * slot.inDim;
    const bLength = slot.outDim * r;
    const view: LoraView<T> = {
      A: b.view(lora.params, slot.aOffset, aLength),
      B: b.view(lora.params, slot.bOffset, bLength),
      dA: b.view(lora.grads, slot.aOffset, aLength),
      dB: b.view(lora.grads, slot.bOffset, bLength),
      rank: r,
      scale: lora.layout.scale,
    };
    layers[slot.layer][projectionKey[slot.target]] = view;
  }
  return layers;
}

/** Scratch for sequences of up to `capacity` tokens and LoRA rank up to `rank`, reused between calls. */
interface Workspace<T> {
  capacity: number;
  rank: number;
  ids: T; //           (capacity) token ids
  targets: T; //       (capacity) the next token of each position
  residuals: T[]; //   L + 1 of (capacity, C): each layer's input, kept for the backward
  /**
   * One layer's activations, which every layer reuses and the backward recomputes from the
   * layer's input; or, when all layers' fit `keptActivationBytes`, one per layer, which the
   * backward of the same sequence reads as the forward left them.
   */
  acts: LayerActivations<T>[];
  /** The forward whose activations `acts` holds per layer (undefined: none, or recomputed). */
  kept: KeptForward<T> | undefined;
  grads: LayerGradScratch<T>;
  hidden: T; //        (capacity, C) after the final norm
  rstdFinal: T; //     (capacity)
  logprobs: T; //      (capacity)
  lse: T; //           (capacity)
  dlogprobs: T; //     (capacity)
  dhidden: T; //       (capacity, C)
  dres: T; //          (capacity, C)
}

/**
 * Qwen3 on one backend: teacher-forced log-probs of a sequence, and their backward into
 * LoRA gradients with per-layer recomputation (only each layer's input is kept).
 */
export class Qwen3Model<T> {
  private workspace: Workspace<T> | undefined;
  private prefixGrads: { capacity: number; dk: T; dv: T } | undefined;
  private prefixStore: SharedPrefix<T> | undefined;

  constructor(
    readonly backend: Backend<T>,
    readonly config: Qwen3Config,
    readonly weights: ModelWeights<T>,
    /** Keep every layer's activations for the backward while they fit this (see defaultKeptActivationBytes). */
    readonly keptActivationBytes = defaultKeptActivationBytes,
  ) {}

  /**
   * log p(ids[t+1] | prefix, ids[..t]) for t = 0..T−2 under the base model plus the adapter,
   * where `prefix` (if given) holds the keys and values of tokens before ids[0].
   * The values stay in the workspace for a following `backward`; `forBackward` says one follows,
   * so the backend may keep what spares it work there (the logits, on WebGPU).
   */
  async logprobs(
    ids: readonly number[],
    lora?: LoraState<T>,
    prefix?: PrefixKv<T>,
    forBackward = false,
  ): Promise<Float32Array | Float64Array> {
    this.recordLogprobs(ids, lora, prefix, forBackward);
    return this.backend.read(this.ws(ids.length).logprobs, ids.length - 1);
  }

  /** Records what `logprobs` computes without reading it: the values stay in `lossTensors`. */
  recordLogprobs(ids: readonly number[], lora?: LoraState<T>, prefix?: PrefixKv<T>, forBackward = false): void {
    const T = ids.length;
    if (T < 2) throw new Error(`a sequence needs at least 2 tokens to score, got ${T}`);
    if (prefix !== undefined && prefix.length + T > prefix.capacity)
      throw new Error(`${T} tokens after a prefix of ${prefix.length} exceed the prefix cache's ${prefix.capacity}`);
    this.forward(ids, lora, prefix, forBackward);
  }

  /**
   * The workspace's log-probs of the last sequence of `length` tokens (length − 1 values, as
   * `logprobs` gives them) and their gradient, which a loss on the backend writes before
   * `backward(…, 'written')`.
   */
  lossTensors(length: number): { logprobs: T; dlogprobs: T } {
    const ws = this.ws(length);
    return { logprobs: ws.logprobs, dlogprobs: ws.dlogprobs };
  }

  /**
   * Adds into the targets' gradients the gradient of Σ_t dlogprobs[t] · logprobs[t]
   * (t = 0..T−2) for the sequence last passed to `logprobs` with the same adapter and
   * prefix ('written': dlogprobs is in `lossTensors` already). The gradient reaching the prefix's keys and values is added into its `dk` and
   * `dv` (for `prefixBackward`); nothing else of the prefix is touched.
   */
  async backward(
    ids: readonly number[],
    targets: GradientTargets<T>,
    dlogprobs: Float64Array | Float32Array | 'written',
    prefix?: SharedPrefix<T>,
  ): Promise<void> {
    const b = this.backend;
    const c = this.config;
    const T = ids.length;
    if (dlogprobs !== 'written' && dlogprobs.length !== T - 1)
      throw new Error(`backward: ${dlogprobs.length} gradients for ${T - 1} log-probs`);
    const { lora, weights } = targets;
    const ws = this.ws(T, lora?.layout.config.rank);
    const loras = layerLoras(b, c, lora);
    if (dlogprobs !== 'written') {
      const upstream = new Float32Array(T);
      upstream.set(dlogprobs);
      b.write(ws.dlogprobs, upstream);
    }
    const C = c.hiddenSize;
    b.fill({ x: ws.dhidden, value: 0, length: T * C });
    b.vocabLogprobsBackward({
      dhidden: ws.dhidden,
      dlogprobs: ws.dlogprobs,
      hidden: ws.hidden,
      weight: this.weights.lmHead,
      targets: ws.targets,
      lse: ws.lse,
      T,
      C,
      V: c.vocabSize,
    });
    b.rmsNormBackward({
      dinp: ws.dres,
      dout: ws.dhidden,
      inp: ws.residuals[c.numLayers],
      weight: this.weights.finalNorm,
      rstd: ws.rstdFinal,
      rows: T,
      C,
      accumulate: false,
    });
    const cached = prefix && this.cachedPrefixLayers(prefix);
    const kept = sameForward(ws.kept, ids, lora, prefix);
    for (let l = c.numLayers - 1; l >= 0; l--) {
      const act = ws.acts[kept ? l : 0];
      const layer = { x: ws.residuals[l], act, weights: this.weights.layers[l], lora: loras[l], config: c, T };
      // Recompute this layer's activations from its saved input (unless kept), then go back through it.
      if (!kept) layerForward(b, { ...layer, out: ws.hidden, cache: cached?.[l] });
      layerBackward(b, {
        ...layer,
        dres: ws.dres,
        scratch: ws.grads,
        dweights: weights?.[l] ?? {},
        prefix: cached?.[l],
      });
    }
    await b.flush();
  }

  /**
   * Runs `ids` as a prefix that sequences of up to `capacity` tokens in all (prefix
   * included) will follow: its keys, values and layer inputs, with zeroed gradients. The
   * storage is reused by the next call, so one prefix is live at a time.
   */
  sharedPrefix(ids: readonly number[], lora: LoraState<T> | undefined, capacity: number): SharedPrefix<T> {
    const b = this.backend;
    const c = this.config;
    const P = ids.length;
    if (P < 1 || P >= capacity)
      throw new Error(`a shared prefix of ${P} tokens does not fit a capacity of ${capacity}`);
    const rank = lora?.layout.config.rank ?? 1;
    const prefix = this.prefixStorage(P, capacity, rank);
    const ws = this.ws(P, rank);
    const C = c.hiddenSize;
    const KD = c.numKvHeads * c.headDim;
    const loras = layerLoras(b, c, lora);
    checkTokenIds(ids, c.vocabSize);
    ws.kept = undefined;
    b.writeIds(ws.ids, ids);
    b.embedding({ out: prefix.residuals[0], ids: ws.ids, table: this.weights.embed, T: P, C, V: c.vocabSize });
    for (let l = 0; l < c.numLayers; l++) {
      const layer = {
        x: prefix.residuals[l],
        act: prefix.acts[l] ?? ws.acts[0],
        weights: this.weights.layers[l],
        lora: loras[l],
        config: c,
      };
      const out = l + 1 < c.numLayers ? prefix.residuals[l + 1] : ws.hidden; // the top layer's output is not needed
      layerForward(b, { ...layer, out, T: P, cache: { k: prefix.k[l], v: prefix.v[l], P: 0 } });
      b.fill({ x: prefix.dk[l], value: 0, length: P * KD });
      b.fill({ x: prefix.dv[l], value: 0, length: P * KD });
    }
    return { ...prefix, length: P, loraVersion: lora?.version ?? 0 };
  }

  /**
   * Adds into the targets' gradients what the gradient gathered in `prefix.dk` and `prefix.dv`
   * (by `backward` of the sequences after it) contributes through the prefix, which has no
   * loss of its own: top layer to bottom, each layer recomputed from its saved input unless
   * its activations were kept (and the adapter has not moved since).
   */
  async prefixBackward(prefix: SharedPrefix<T>, targets: GradientTargets<T>): Promise<void> {
    const b = this.backend;
    const c = this.config;
    const P = prefix.length;
    const { lora, weights } = targets;
    const ws = this.ws(P, lora?.layout.config.rank);
    const loras = layerLoras(b, c, lora);
    ws.kept = undefined;
    const kept = prefix.acts.length === c.numLayers && prefix.loraVersion === (lora?.version ?? 0);
    b.fill({ x: ws.dres, value: 0, length: P * c.hiddenSize });
    for (let l = c.numLayers - 1; l >= 0; l--) {
      const layer = {
        x: prefix.residuals[l],
        act: kept ? prefix.acts[l] : ws.acts[0],
        weights: this.weights.layers[l],
        lora: loras[l],
        config: c,
      };
      if (!kept) layerForward(b, { ...layer, out: ws.hidden, T: P });
      layerBackward(b, {
        ...layer,
        T: P,
        dres: ws.dres,
        scratch: ws.grads,
        dweights: weights?.[l] ?? {},
        kvGradient: { dk: prefix.dk[l], dv: prefix.dv[l] },
      });
    }
    await b.flush();
  }

  /** Embedding → layers → final norm → log-probs of the next tokens, into the workspace. */
  private forward(
    ids: readonly number[],
    lora: LoraState<T> | undefined,
    prefix: PrefixKv<T> | undefined,
    forBackward: boolean,
  ): void {
    const b = this.backend;
    const c = this.config;
    const T = ids.length;
    const ws = this.ws(T, lora?.layout.config.rank ?? 1);
    const loras = layerLoras(b, c, lora);
    checkTokenIds(ids, c.vocabSize);
    b.writeIds(ws.ids, ids);
    b.writeIds(ws.targets, targetsOf(ids));
    const C = c.hiddenSize;
    const V = c.vocabSize;
    b.embedding({ out: ws.residuals[0], ids: ws.ids, table: this.weights.embed, T, C, V });
    const keep = ws.acts.length === c.numLayers;
    ws.kept = keep
      ? { ids: [...ids], lora, loraVersion: lora?.version ?? 0, prefix, prefixLength: prefix?.length ?? 0 }
      : undefined;
    for (let l = 0; l < c.numLayers; l++) {
      const act = ws.acts[keep ? l : 0];
      const layer = { x: ws.residuals[l], act, weights: this.weights.layers[l], lora: loras[l], config: c, T };
      const cache = prefix && { k: prefix.k[l], v: prefix.v[l], P: prefix.length };
      layerForward(b, { ...layer, out: ws.residuals[l + 1], cache });
    }
    b.rmsNormForward({
      out: ws.hidden,
      rstd: ws.rstdFinal,
      inp: ws.residuals[c.numLayers],
      weight: this.weights.finalNorm,
      rows: T,
      C,
      eps: c.rmsNormEps,
    });
    b.vocabLogprobsForward({
      logprobs: ws.logprobs,
      lse: ws.lse,
      hidden: ws.hidden,
      weight: this.weights.lmHead,
      targets: ws.targets,
      T,
      C,
      V,
      keepLogits: forBackward,
    });
  }

  /** Per layer, the prefix's keys and values, where its gradient is gathered, and scratch for the attention gradient over all its capacity. */
  private cachedPrefixLayers(prefix: SharedPrefix<T>): CachedPrefix<T>[] {
    let scratch = this.prefixGrads;
    if (scratch === undefined || scratch.capacity < prefix.capacity) {
      if (scratch !== undefined) for (const t of [scratch.dk, scratch.dv]) this.backend.release(t);
      const width = this.config.numKvHeads * this.config.headDim;
      scratch = {
        capacity: prefix.capacity,
        dk: this.backend.zeros(prefix.capacity * width, 'prefix dk scratch'),
        dv: this.backend.zeros(prefix.capacity * width, 'prefix dv scratch'),
      };
      this.prefixGrads = scratch;
    }
    const { dk, dv } = scratch;
    return prefix.k.map((k, l) => ({
      k,
      v: prefix.v[l],
      P: prefix.length,
      dkAll: dk,
      dvAll: dv,
      dkPrefix: prefix.dk[l],
      dvPrefix: prefix.dv[l],
    }));
  }

  /** The shared prefix's tensors: keys and values for `capacity` tokens, the rest for `P` (reused while large enough). */
  private prefixStorage(P: number, capacity: number, rank: number): SharedPrefix<T> {
    const current = this.prefixStore;
    if (current !== undefined && current.capacity >= capacity && current.prefixCapacity >= P && current.rank >= rank)
      return current;
    if (current !== undefined)
      for (const t of [
        ...current.k,
        ...current.v,
        ...current.residuals,
        ...current.dk,
        ...current.dv,
        ...current.acts.flatMap(activationTensors),
      ])
        this.backend.release(t);
    const b = this.backend;
    const c = this.config;
    const KD = c.numKvHeads * c.headDim;
    const rows = (n: number) => 64 * Math.ceil(n / 64);
    const perLayer = (n: number, width: number, label: string) =>
      Array.from({ length: c.numLayers }, (_, l) => b.zeros(rows(n) * width, `prefix ${label} ${l}`));
    this.prefixStore = {
      acts: this.keepsActivations(rows(P), rank)
        ? Array.from({ length: c.numLayers }, (_, l) => allocateActivations(b, c, rows(P), rank, `prefix layer ${l} `))
        : [],
      rank,
      loraVersion: 0,
      k: perLayer(capacity, KD, 'k'),
      v: perLayer(capacity, KD, 'v'),
      residuals: perLayer(P, c.hiddenSize, 'residual'),
      dk: perLayer(P, KD, 'dk'),
      dv: perLayer(P, KD, 'dv'),
      length: 0,
      capacity: rows(capacity),
      prefixCapacity: rows(P),
    };
    return this.prefixStore;
  }

  /** Whether every layer's activations for this many tokens fit `keptActivationBytes` (as f32). */
  private keepsActivations(tokens: number, rank: number): boolean {
    return this.config.numLayers * activationElements(this.config, tokens, rank) * 4 <= this.keptActivationBytes;
  }

  /** The workspace, grown (never shrunk) to hold T tokens and LoRA rank `rank`. */
  private ws(T: number, rank = this.workspace?.rank ?? 1): Workspace<T> {
    const current = this.workspace;
    if (current !== undefined && current.capacity >= T && current.rank >= rank) return current;
    this.releaseWorkspace();
    const b = this.backend;
    const c = this.config;
    const capacity = 64 * Math.ceil(Math.max(T, current?.capacity ?? 0) / 64);
    rank = Math.max(rank, current?.rank ?? 1);
    const C = c.hiddenSize;
    const keep = this.keepsActivations(capacity, rank);
    this.workspace = {
      capacity,
      rank,
      ids: b.uploadIds(new Array<number>(capacity).fill(0), 'ids'),
      targets: b.uploadIds(new Array<number>(capacity).fill(0), 'targets'),
      residuals: Array.from({ length: c.numLayers + 1 }, (_, l) => b.zeros(capacity * C, `residual ${l}`)),
      acts: Array.from({ length: keep ? c.numLayers : 1 }, (_, l) =>
        allocateActivations(b, c, capacity, rank, keep ? `layer ${l} ` : ''),
      ),
      kept: undefined,
      grads: allocateGradScratch(b, c, capacity, rank),
      hidden: b.zeros(capacity * C, 'hidden'),
      rstdFinal: b.zeros(capacity, 'rstd final'),
      logprobs: b.zeros(capacity, 'logprobs'),
      lse: b.zeros(capacity, 'lse'),
      dlogprobs: b.zeros(capacity, 'dlogprobs'),
      dhidden: b.zeros(capacity * C, 'dhidden'),
      dres: b.zeros(capacity * C, 'dres'),
    };
    return this.workspace;
  }

  private releaseWorkspace(): void {
    const ws = this.workspace;
    if (ws === undefined) return;
    const { acts, kept: _k, grads, residuals, capacity: _c, rank: _r, ...rest } = ws;
    for (const t of [...residuals, ...acts.flatMap(activationTensors), ...Object.values(grads), ...Object.values(rest)])
      this.backend.release(t);
    this.workspace = undefined;
  }
}

/** Whether `kept` is the forward of these ids, under the same adapter parameters and prefix. */
function sameForward<T>(
  kept: KeptForward<T> | undefined,
  ids: readonly number[],
  lora: LoraState<T> | undefined,
  prefix: PrefixKv<T> | undefined,
): boolean {
  return (
    kept !== undefined &&
    kept.lora === lora &&
    kept.loraVersion === (lora?.version ?? 0) &&
    kept.prefix === prefix &&
    kept.prefixLength === (prefix?.length ?? 0) &&
    kept.ids.length === ids.length &&
    kept.ids.every((id, t) => id === ids[t])
  );
}

/** targets[t] = ids[t + 1]; the last row has no next token (0, ignored). */
function targetsOf(ids: readonly number[]): number[] {
  return ids.map((_, t) => (t + 1 < ids.length ? ids[t + 1] : 0));
}

/**
 * Every id must name a row of the embedding: the CPU's gather would say so, but a GPU kernel
 * would read another row (or zeros) in silence, so ids are checked before they go to a backend.
 */
export function checkTokenIds(ids: readonly number[], V: number): void {
  ids.forEach((id, t) => {
    if (!(Number.isInteger(id) && id >= 0 && id < V))
      throw new RangeError(`token id ${id} at position ${t} is outside the vocabulary of ${V}`);
  });
}
