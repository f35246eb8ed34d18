import type { GenerateRequest, GeneratedToken, LogprobScorer, Policy, SamplingSettings } from '../core/policy';
import type { Backend } from './backend';
import { activationTensors, allocateActivations, layerForward, type LayerActivations, type LayerCache } from './layer';
import { checkTokenIds, layerLoras, type LoraState, type Qwen3Model } from './model';
import { seededUniform } from '../core/random';

/** Per-layer keys and values of one sequence, for decoding token by token. */
export class KvCache<T> {
  readonly k: T[];
  readonly v: T[];
  /** Tokens in the cache, in order. */
  ids: number[] = [];

  constructor(
    private readonly backend: Backend<T>,
    layers: number,
    private readonly kvWidth: number,
    /** Maximum tokens held. */
    readonly capacity: number,
  ) {
    this.k = Array.from({ length: layers }, (_, l) => backend.zeros(capacity * kvWidth, `k cache ${l}`));
    this.v = Array.from({ length: layers }, (_, l) => backend.zeros(capacity * kvWidth, `v cache ${l}`));
  }

  release(): void {
    for (const t of [...this.k, ...this.v]) this.backend.release(t);
  }

  /** Drops every entry after the longest common prefix with `ids` (at most `limit` tokens); the next feed overwrites them. */
  keepCommonPrefix(ids: readonly number[], limit: number): void {
    let common = 0;
    const end = Math.min(this.ids.length, ids.length, limit);
    while (common < end && this.ids[common] === ids[common]) common++;
    this.ids.length = common;
  }

  /** A cache of `capacity` tokens holding this one's entries; this one is released. */
  grown(capacity: number): KvCache<T> {
    const next = new KvCache(this.backend, this.k.length, this.kvWidth, capacity);
    const length = this.ids.length * this.kvWidth;
    for (let l = 0; l < this.k.length; l++) {
      this.backend.copy({ dst: next.k[l], src: this.k[l], dstOffset: 0, srcOffset: 0, length });
      this.backend.copy({ dst: next.v[l], src: this.v[l], dstOffset: 0, srcOffset: 0, length });
    }
    next.ids = [...this.ids];
    this.release();
    return next;
  }
}

/**
 * A KV cache reused from call to call for the tokens the calls share (earlier turns, a
 * shared prompt), grown as needed up to the model's context and emptied when an optimizer
 * step changes the adapter. It starts small: a cache of Qwen3's 40960 positions would
 * take gigabytes.
 */
export class ReusedCache<T> {
  private cache: KvCache<T> | undefined;
  /** The adapter version the cached keys and values were computed with. */
  private version = 0;

  constructor(
    readonly decoder: Decoder<T>,
    private readonly lora: LoraState<T> | undefined,
  ) {}

  /** The cache, holding the longest prefix of `ids` it had (at most `keep` tokens), with room for `capacity` tokens (at most the model's context). */
  holding(ids: readonly number[], keep: number, capacity: number): KvCache<T> {
    const context = this.decoder.model.config.maxPositionEmbeddings;
    const size = (n: number) => Math.min(context, 64 * Math.ceil(n / 64));
    let cache = this.cache ?? this.decoder.newCache(size(Math.max(capacity, 512)));
    // After an optimizer step the adapter is another one: nothing cached under the old one holds.
    const version = this.lora?.version ?? 0;
    if (version !== this.version) {
      cache.ids.length = 0;
      this.version = version;
    }
    cache.keepCommonPrefix(ids, keep);
    if (cache.capacity < Math.min(capacity, context)) cache = cache.grown(size(Math.max(capacity, 2 * cache.capacity)));
    this.cache = cache;
    return cache;
  }

  release(): void {
    this.cache?.release();
    this.cache = undefined;
  }
}

/**
 * Prefill and KV-cache decoding on one model (with an optional adapter): feeds new tokens
 * after what the cache holds and returns the logits of the last one.
 */
export class Decoder<T> {
  private act: LayerActivations<T> | undefined;
  private actCapacity = 0;
  private readonly x: T[] = [];
  private readonly lastHidden: T;
  private readonly lastNormed: T;
  private readonly rstd: T;
  private readonly logits: T;
  /** (2) the sampled id and its log-prob: the one read per decoded token. */
  private readonly sampled: T;
  /** (2 · decodeStepsPerRead) each step's (id, log-prob) when several steps share one read. */
  private readonly sampledSteps: T | undefined;
  /** Decode steps recorded per read (the backend's decodeStepsPerRead). */
  readonly stepsPerRead: number;
  /** (1) the id sampled last, written on the backend, embedded by the next step. */
  private readonly nextId: T;

  constructor(
    readonly model: Qwen3Model<T>,
    readonly lora?: LoraState<T>,
  ) {
    const b = model.backend;
    const c = model.config;
    this.lastHidden = b.zeros(c.hiddenSize, 'last hidden');
    this.lastNormed = b.zeros(c.hiddenSize, 'last hidden normed');
    this.rstd = b.zeros(1, 'last rstd');
    this.logits = b.zeros(c.vocabSize, 'logits');
    this.sampled = b.zeros(2, 'sampled token');
    this.nextId = b.uploadIds([0], 'next id');
    this.stepsPerRead = b.decodeStepsPerRead;
    this.sampledSteps = this.stepsPerRead > 1 ? b.zeros(2 * this.stepsPerRead, 'sampled tokens') : undefined;
  }

  newCache(capacity: number): KvCache<T> {
    const c = this.model.config;
    return new KvCache(this.model.backend, c.numLayers, c.numKvHeads * c.headDim, capacity);
  }

  /** Appends `ids` to the cache and returns the next-token logits after the last of them. */
  async feed(cache: KvCache<T>, ids: readonly number[]): Promise<Float32Array | Float64Array> {
    this.prefill(cache, ids);
    return this.model.backend.read(this.logits, this.model.config.vocabSize);
  }

  /** Records appending `ids` to the cache (and their logits), without waiting for it. */
  prefill(cache: KvCache<T>, ids: readonly number[]): void {
    const b = this.model.backend;
    checkTokenIds(ids, this.model.config.vocabSize);
    const tokens = b.uploadIds(ids, 'ids');
    this.forward(cache, tokens, ids.length);
    b.release(tokens);
    cache.ids.push(...ids);
  }

  /**
   * Appends `ids` to the cache and samples the token after them on the backend, then feeds each
   * sampled token and samples the next, one step per draw in `uniforms` (at most
   * stepsPerRead): one submit and one read of (id, log-prob) per step for all of them. With
   * `sampledLast`, `ids` is the one token this decoder sampled last, which its ids tensor
   * already holds: nothing is uploaded. A draw is the caller's from its seeded stream (unused
   * when greedy). The cache ends holding `ids` and every token sampled but the last; a caller
   * that stops at an earlier one truncates `cache.ids` to what it keeps.
   */
  async sample(
    cache: KvCache<T>,
    ids: readonly number[],
    settings: Pick<SamplingSettings, 'temperature' | 'topK' | 'topP'>,
    uniforms: readonly number[],
    sampledLast = false,
  ): Promise<GeneratedToken[]> {
    const b = this.model.backend;
    const steps = uniforms.length;
    if (!Number.isInteger(steps) || steps < 1 || steps > this.stepsPerRead)
      throw new Error(`sample: ${steps} steps; this backend records 1 to ${this.stepsPerRead} per read`);
    if (sampledLast && ids.length !== 1) throw new Error('sample: only the one token sampled last is on the device');
    if (!sampledLast) checkTokenIds(ids, this.model.config.vocabSize);
    const tokens = sampledLast ? this.nextId : b.uploadIds(ids, 'ids');
    const { temperature, topK, topP } = settings;
    const V = this.model.config.vocabSize;
    const fedAfter = cache.ids.length + ids.length;
    for (let step = 0; step < steps; step++) {
      // Step 0 feeds `ids`; each later one the token the step before it sampled, from the device.
      const T = step === 0 ? ids.length : 1;
      this.forward(cache, step === 0 ? tokens : this.nextId, T);
      const uniform = uniforms[step];
      b.sampleToken({ out: this.sampled, next: this.nextId, logits: this.logits, V, temperature, topK, topP, uniform });
      if (this.sampledSteps !== undefined)
        b.copy({ dst: this.sampledSteps, src: this.sampled, dstOffset: 2 * step, srcOffset: 0, length: 2 });
      // Positions count from cache.ids: later steps hold a place until their tokens are read.
      cache.ids.push(...(step === 0 ? ids : [-1]));
    }
    if (!sampledLast) b.release(tokens);
    const values = await b.read(this.sampledSteps ?? this.sampled, 2 * steps);
    const sampled = Array.from({ length: steps }, (_, step) => ({
      id: values[2 * step],
      logprob: values[2 * step + 1],
    }));
    for (let step = 1; step < steps; step++) cache.ids[fedAfter + step - 1] = sampled[step - 1].id;
    return sampled;
  }

  /** Records the layers over `tokens` (T ids on the backend) after the cache, and the logits of the last. */
  private forward(cache: KvCache<T>, tokens: T, T: number): void {
    const b = this.model.backend;
    const c = this.model.config;
    const P = cache.ids.length;
    if (T === 0) throw new Error('feed: no tokens to add');
    if (P + T > cache.capacity)
      throw new Error(`the sequence would reach ${P + T} tokens, beyond the cache's ${cache.capacity}`);
    const C = c.hiddenSize;
    const act = this.activations(T);
    const loras = layerLoras(b, c, this.lora);
    const V = c.vocabSize;
    const weights = this.model.weights;
    b.embedding({ out: this.x[0], ids: tokens, table: weights.embed, T, C, V });
    for (let l = 0; l < c.numLayers; l++) {
      const layerCache: LayerCache<T> = { k: cache.k[l], v: cache.v[l], P };
      const [x, out] = [this.x[l % 2], this.x[(l + 1) % 2]]; // the residual stream alternates between two buffers
      layerForward(b, { out, act, x, weights: weights.layers[l], lora: loras[l], config: c, T, cache: layerCache });
    }
    const last = this.x[c.numLayers % 2];
    b.copy({ dst: this.lastHidden, src: last, dstOffset: 0, srcOffset: (T - 1) * C, length: C });
    b.rmsNormForward({
      out: this.lastNormed,
      rstd: this.rstd,
      inp: this.lastHidden,
      weight: weights.finalNorm,
      rows: 1,
      C,
      eps: c.rmsNormEps,
    });
    b.matmul({ out: this.logits, a: this.lastNormed, b: weights.lmHead, M: 1, N: V, K: C, transB: true });
  }

  /** Frees what it holds on the backend: a policy whose adapter is replaced leaves nothing behind. */
  release(): void {
    const b = this.model.backend;
    this.releaseActivations();
    for (const t of [this.lastHidden, this.lastNormed, this.rstd, this.logits, this.sampled, this.nextId]) b.release(t);
    if (this.sampledSteps !== undefined) b.release(this.sampledSteps);
  }

  private releaseActivations(): void {
    for (const t of [...(this.act === undefined ? [] : activationTensors(this.act)), ...this.x])
      this.model.backend.release(t);
    this.act = undefined;
    this.actCapacity = 0;
    this.x.length = 0;
  }

  private activations(T: number): LayerActivations<T> {
    if (this.act !== undefined && this.actCapacity >= T) return this.act;
    const b = this.model.backend;
    const c = this.model.config;
    this.releaseActivations();
    const capacity = 64 * Math.ceil(T / 64);
    this.act = allocateActivations(b, c, capacity, this.lora?.layout.config.rank ?? 1);
    this.actCapacity = capacity;
    this.x.push(b.zeros(capacity * c.hiddenSize, 'x even'), b.zeros(capacity * c.hiddenSize, 'x odd'));
    return this.act;
  }
}

/**
 * The engine as a Policy: samples a turn token by token with the KV cache, reusing the
 * cache for the longest common prefix with the previous call (the earlier turns). It also
 * scores sequences teacher-forced (the student's s).
 */
export class EnginePolicy<T> implements Policy, LogprobScorer {
  private readonly decoder: Decoder<T>;
  private readonly scorer: EngineScorer<T>;
  private readonly cache: ReusedCache<T>;
  readonly contextLength: number;

  constructor(
    readonly name: string,
    model: Qwen3Model<T>,
    lora?: LoraState<T>,
  ) {
    this.contextLength = model.config.maxPositionEmbeddings;
    this.decoder = new Decoder(model, lora);
    this.cache = new ReusedCache(this.decoder, lora);
    // Scoring comes after the rollouts: it reuses their cache rather than holding a second one.
    this.scorer = new EngineScorer(name, model, lora, this.cache);
  }

  scoreTokens(
    promptIds: readonly number[],
    responseIds: readonly number[],
    signal?: AbortSignal,
  ): Promise<Float64Array> {
    return this.scorer.scoreTokens(promptIds, responseIds, signal);
  }

  /** Frees its decoder and cache (the scorer shares them); the model and adapter are the caller's. */
  release(): void {
    this.cache.release();
    this.decoder.release();
  }

  async *generate(request: GenerateRequest): AsyncGenerator<GeneratedToken> {
    const { inputIds, sampling, signal } = request;
    if (inputIds.length === 0) throw new Error('generate: the input must hold at least one token');
    // Reuse all but the last input token (it must be fed to give the next logits).
    const cache = this.cache.holding(inputIds, inputIds.length - 1, inputIds.length + sampling.maxNewTokens);
    const uniform = seededUniform(sampling.seed);
    // One draw per token, only when sampling, as the CPU sampler takes them: the same seed gives the same stream.
    const draw = (): number => (sampling.temperature > 0 ? uniform() : 0);
    const stops = new Set(sampling.stopTokenIds);
    if (sampling.maxNewTokens <= 0) return;
    let feed = inputIds.slice(cache.ids.length);
    let sampledLast = false;
    for (let produced = 0; ; ) {
      // As many steps as the backend takes per read, none past maxNewTokens or the cache's room.
      const room = cache.capacity - cache.ids.length - feed.length;
      const steps = Math.max(1, Math.min(this.decoder.stepsPerRead, sampling.maxNewTokens - produced, room));
      const start = cache.ids.length + feed.length;
      const tokens = await this.decoder.sample(cache, feed, sampling, Array.from({ length: steps }, draw), sampledLast);
      for (const [step, token] of tokens.entries()) {
        // Stopping at a token, the cache keeps what was fed before it, not the tokens sampled after it.
        if (signal?.aborted) {
          cache.ids.length = start + step;
          return;
        }
        yield token;
        produced++;
        if (stops.has(token.id) || produced === sampling.maxNewTokens || start + step + 1 >= cache.capacity) {
          cache.ids.length = start + step;
          return;
        }
      }
      // The id is on the device already: the next step embeds it from there.
      feed = [tokens[tokens.length - 1].id];
      sampledLast = true;
    }
  }
}

/**
 * Teacher-forced log-probs (s or τ) of a response with the engine, with an optional adapter.
 * It keeps the keys and values of the last prompt it scored: the G samples of a prompt, and
 * prompts with the same system text, run the shared part once.
 */
export class EngineScorer<T> implements LogprobScorer {
  private readonly decoder: Decoder<T>;
  private readonly cache: ReusedCache<T>;

  constructor(
    readonly name: string,
    private readonly model: Qwen3Model<T>,
    private readonly lora?: LoraState<T>,
    cache?: ReusedCache<T>,
  ) {
    this.decoder = cache?.decoder ?? new Decoder(model, lora);
    this.cache = cache ?? new ReusedCache(this.decoder, lora);
  }

  async scoreTokens(
    promptIds: readonly number[],
    responseIds: readonly number[],
    signal?: AbortSignal,
  ): Promise<Float64Array> {
    signal?.throwIfAborted();
    if (promptIds.length === 0) throw new Error('scoreTokens: the prompt must hold at least one token');
    if (responseIds.length === 0) return new Float64Array(0);
    // All of the prompt but its last token comes from the cache; that token predicts the first response token.
    const P = promptIds.length - 1;
    const scored = [promptIds[P], ...responseIds];
    if (P === 0) return Float64Array.from(await this.model.logprobs(scored, this.lora));
    const cache = this.cache.holding(promptIds, P, P + scored.length);
    // Recorded, not read: the log-probs below read after it.
    if (cache.ids.length < P) this.decoder.prefill(cache, promptIds.slice(cache.ids.length, P));
    const prefix = { k: cache.k, v: cache.v, length: P, capacity: cache.capacity };
    return Float64Array.from(await this.model.logprobs(scored, this.lora, prefix));
  }
}
