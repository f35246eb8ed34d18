import type {
  PolicyTrainer,
  PpoSequenceLoss,
  PpoStepCounts,
  TrainingSequence,
  TrainingStepResult,
} from '../core/policy';
import { checkPpoInputs } from '../sod/loss';
import type { AdamWSettings } from './backend';
import { ppoStatsWidth } from './backend-types';
import { projectionGrads, type ProjectionState } from './full-training';
import type { GradientTargets, LoraState, Qwen3Model, SharedPrefix } from './model';

/** The optimizer every trainer starts from; callers override the learning rate. */
export const defaultAdamW: AdamWSettings = {
  lr: 1e-4,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 0.01,
  maxGradNorm: 1.0,
};

export interface TrainerOptions {
  /**
   * What to do with the prompt prefix that all sequences of a batch share (the G samples of
   * one prompt share all of it; different prompts their system text):
   * - 'exact' (the default): compute it once per step and take the gradient that the
   *   sequences send into it back through it once: the gradient of training every sequence
   *   in full, with the prefix's work done once instead of once per sequence;
   * - 'frozen': compute it once and hold it constant (no gradient through it), a truncated
   *   gradient; how the demo models were trained from scratch;
   * - 'none': every sequence in full.
   */
  sharedPrefix?: 'exact' | 'frozen' | 'none';
}

/** An AdamW optimizer's state: what a checkpoint keeps to go on exactly where a run stopped. */
export interface OptimizerState {
  /** Optimizer steps taken (the bias correction's t). */
  step: number;
  /** First and second moments, one value per trained parameter. */
  m: Float32Array;
  v: Float32Array;
}

/** What a trainer updates: one flat parameter vector, its gradient, and where the model's backward puts it. */
interface Trainable<T> {
  params: T;
  grads: T;
  size: number;
  /** The adapter the forward applies (LoRA training). */
  lora?: LoraState<T>;
  targets: GradientTargets<T>;
}

/**
 * Gradient accumulation over the sequences of a batch (one forward and backward each), then
 * one clipped AdamW step on the GPU or CPU.
 */
class AdamWTrainer<T> implements PolicyTrainer {
  private readonly m: T;
  private readonly v: T;
  private readonly norm: T;
  /** The PPO sequences' figures (ppoStatsWidth each), then the gradient norm: a step's one read. */
  private stats: { tensor: T; capacity: number } | undefined;
  /** A PPO sequence's rollout log-probs, advantages and mask, uploaded for its loss. */
  private ppoInputs: { tensor: T; capacity: number } | undefined;
  /** Optimizer steps taken. */
  step = 0;

  constructor(
    readonly model: Qwen3Model<T>,
    private readonly trainable: Trainable<T>,
    public settings: AdamWSettings,
    readonly options: TrainerOptions,
  ) {
    const b = model.backend;
    this.m = b.zeros(trainable.size, 'adam m');
    this.v = b.zeros(trainable.size, 'adam v');
    this.norm = b.zeros(1, 'grad norm');
  }

  /**
   * One optimizer step on the batch. A batch of `ppo` sequences only reads back once: their
   * losses are computed where the log-probs are, and read with the gradient norm at the end.
   */
  async trainStep(batch: readonly TrainingSequence[]): Promise<TrainingStepResult> {
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    const accumulated = await this.accumulate(batch);
    const { tokens, skipped, ppoSlots } = accumulated;
    let loss = accumulated.loss;
    if (skipped !== undefined) return { loss, gradNorm: Number.NaN, tokens, seconds: seconds(), skipped };
    const { norm: gradNorm, ppo } = await this.update(ppoSlots);
    let ppoCounts: PpoStepCounts | undefined;
    let reason: string | undefined;
    if (ppo !== undefined) {
      ppoCounts = { tokens: 0, clipped: 0, dualClipped: 0, klSum: 0 };
      for (const [i, slot] of ppoSlots.entries()) {
        const [part, clipped, dualClipped, klSum, nonFinite] = ppo.subarray(ppoStatsWidth * i, ppoStatsWidth * (i + 1));
        reason ??=
          nonFinite > 0
            ? `${nonFinite} log-prob${nonFinite === 1 ? '' : 's'} of sequence ${slot.sequence + 1} ${nonFinite === 1 ? 'is' : 'are'} not finite`
            : undefined;
        loss += part;
        ppoCounts.tokens += slot.maskedTokens;
        ppoCounts.clipped += clipped;
        ppoCounts.dualClipped += dualClipped;
        ppoCounts.klSum += klSum;
      }
      if (reason !== undefined && Number.isFinite(gradNorm))
        throw new Error(`training step: ${reason}, yet the gradient norm is ${gradNorm}: the step was taken`);
      if (reason === undefined && !Number.isFinite(loss)) reason = `the loss is ${loss}`;
    }
    const result = { loss, gradNorm, tokens, seconds: seconds(), ...(ppoCounts ? { ppo: ppoCounts } : {}) };
    if (!Number.isFinite(gradNorm)) return { ...result, skipped: reason ?? `the gradient norm is ${gradNorm}` };
    return result;
  }

  /** The moments and the step count, read off the backend. */
  async readState(): Promise<OptimizerState> {
    const b = this.model.backend;
    const { size } = this.trainable;
    return {
      step: this.step,
      m: Float32Array.from(await b.read(this.m, size)),
      v: Float32Array.from(await b.read(this.v, size)),
    };
  }

  /** Takes over a state `readState` gave (a checkpoint's), so the next step is the one that would have followed. */
  loadState(state: OptimizerState): void {
    const { size } = this.trainable;
    if (!Number.isInteger(state.step) || state.step < 0)
      throw new Error(`optimizer state: step must be a whole number ≥ 0, got ${state.step}`);
    for (const [name, values] of [
      ['m', state.m],
      ['v', state.v],
    ] as const)
      if (values.length !== size)
        throw new Error(
          `optimizer state: ${name} holds ${values.length} values, but the trainer has ${size} parameters`,
        );
    const b = this.model.backend;
    b.write(this.m, state.m);
    b.write(this.v, state.v);
    this.step = state.step;
  }

  /** Frees the optimizer's moments and scratch (not the trained parameters, which the caller owns). */
  dispose(): void {
    const b = this.model.backend;
    for (const t of [this.m, this.v, this.norm, this.stats?.tensor, this.ppoInputs?.tensor])
      if (t !== undefined) b.release(t);
    this.stats = this.ppoInputs = undefined;
  }

  /** `held`, or a tensor of at least `length` values in its place (the old one released). */
  private grown(held: { tensor: T; capacity: number } | undefined, length: number, label: string) {
    if (held !== undefined && held.capacity >= length) return held;
    const b = this.model.backend;
    if (held !== undefined) b.release(held.tensor);
    const capacity = 256 * Math.ceil(length / 256);
    return { tensor: b.zeros(capacity, label), capacity };
  }

  /**
   * Zeroes the gradients and adds those of every sequence of the batch (one forward and backward
   * each). Stops at a sequence whose log-probs or loss are not finite, saying why in `skipped`:
   * its gradient would make the step's NaN.
   */
  async accumulate(batch: readonly TrainingSequence[]): Promise<Accumulated> {
    const { grads, size, lora, targets } = this.trainable;
    const b = this.model.backend;
    if (batch.some((seq) => seq.promptIds.length === 0))
      throw new Error('a training sequence needs a non-empty prompt');
    // Checked before any work: a refused input leaves everything as it was.
    const masked = batch.map((seq, i) => ('ppo' in seq ? checkPpoSequence(seq.ppo, seq.responseIds.length, i) : 0));
    const ppoCount = batch.filter((seq) => 'ppo' in seq).length;
    this.stats = this.grown(this.stats, ppoStatsWidth * ppoCount + 1, 'ppo stats');
    const stats = this.stats.tensor;
    b.fill({ x: grads, value: 0, length: size });
    let loss = 0;
    let tokens = 0;
    const ppoSlots: PpoSlot[] = [];
    const mode = this.options.sharedPrefix ?? 'exact';
    // One sequence alone gains nothing from an exact prefix: its prefix would be run twice.
    const prefix = mode === 'frozen' || (mode === 'exact' && batch.length > 1) ? this.sharedPrefix(batch) : undefined;
    const skip = prefix?.length ?? 0;
    for (const [i, seq] of batch.entries()) {
      const ids = [...seq.promptIds, ...seq.responseIds].slice(skip);
      const P = seq.promptIds.length - skip;
      const n = seq.responseIds.length;
      if ('ppo' in seq) {
        // The loss where the log-probs are: nothing is read until the step's end.
        const { oldLogprobs, advantages, mask, settings, tokenCount } = seq.ppo;
        this.ppoInputs = this.grown(this.ppoInputs, 3 * n, 'ppo inputs');
        const inputs = new Float32Array(3 * n); // (3, n): s, A, mask
        inputs.set(oldLogprobs, 0);
        inputs.set(advantages, n);
        inputs.set(mask, 2 * n);
        b.write(this.ppoInputs.tensor, inputs);
        this.model.recordLogprobs(ids, lora, prefix, true);
        const { logprobs, dlogprobs } = this.model.lossTensors(ids.length);
        b.ppoLoss({
          dlogprobs,
          stats,
          logprobs,
          inputs: this.ppoInputs.tensor,
          // Every row of the workspace's gradient, the last (which predicts nothing) included.
          T: ids.length,
          offset: P - 1,
          n,
          slot: ppoSlots.length,
          tokenCount,
          ...settings,
        });
        ppoSlots.push({ sequence: i, maskedTokens: masked[i] });
        await this.model.backward(ids, targets, 'written', prefix);
      } else {
        const all = await this.model.logprobs(ids, lora, prefix, true);
        const response = Float64Array.from(all.subarray(P - 1));
        const bad = response.findIndex((x) => !Number.isFinite(x));
        if (bad >= 0)
          return {
            loss: Number.NaN,
            tokens,
            skipped: `the log-prob of response token ${bad} is ${response[bad]}`,
            ppoSlots,
          };
        const part = seq.loss(response);
        if (!Number.isFinite(part.loss))
          return { loss: part.loss, tokens, skipped: `the loss is ${part.loss}`, ppoSlots };
        const upstream = new Float64Array(ids.length - 1);
        upstream.set(part.grad, P - 1);
        await this.model.backward(ids, targets, upstream, prefix);
        loss += part.loss;
      }
      tokens += n;
    }
    if (prefix !== undefined && mode === 'exact') await this.model.prefixBackward(prefix, targets);
    return { loss, tokens, ppoSlots };
  }

  /**
   * One clipped AdamW step with the gradients accumulated (or written into the gradient tensor);
   * returns their norm before clipping. A norm that is NaN or infinite leaves everything as it
   * was (the kernels check it on the device), and the step is not counted.
   */
  async update(ppoSlots: readonly PpoSlot[] = []): Promise<{ norm: number; ppo?: Float32Array | Float64Array }> {
    const b = this.model.backend;
    const { params, grads, size } = this.trainable;
    b.gradNorm({ norm: this.norm, grads, n: size });
    this.step++;
    b.adamw({
      params,
      grads,
      m: this.m,
      v: this.v,
      norm: this.norm,
      n: size,
      step: this.step,
      settings: this.settings,
    });
    if (this.trainable.lora !== undefined) this.trainable.lora.version++;
    let norm: number;
    let ppo: Float32Array | Float64Array | undefined;
    if (ppoSlots.length > 0 && this.stats !== undefined) {
      // The norm goes after the sequences' figures: one read for the whole step.
      const at = ppoStatsWidth * ppoSlots.length;
      b.copy({ dst: this.stats.tensor, src: this.norm, dstOffset: at, srcOffset: 0, length: 1 });
      const read = await b.read(this.stats.tensor, at + 1);
      [norm, ppo] = [read[at], read.subarray(0, at)];
    } else norm = (await b.read(this.norm, 1))[0];
    if (!Number.isFinite(norm)) this.step--;
    return { norm, ppo };
  }

  /** The longest prompt prefix all sequences share (leaving each at least its last prompt token), run once; undefined if none. */
  private sharedPrefix(batch: readonly TrainingSequence[]): SharedPrefix<T> | undefined {
    let length = Math.min(...batch.map((seq) => seq.promptIds.length - 1));
    for (const seq of batch) {
      let i = 0;
      while (i < length && seq.promptIds[i] === batch[0].promptIds[i]) i++;
      length = i;
    }
    if (length === 0) return undefined;
    const capacity = Math.max(...batch.map((seq) => seq.promptIds.length + seq.responseIds.length));
    return this.model.sharedPrefix(batch[0].promptIds.slice(0, length), this.trainable.lora, capacity);
  }
}

/** A `ppo` sequence of a step: where it is in the batch, and its masked tokens. */
interface PpoSlot {
  sequence: number;
  maskedTokens: number;
}

interface Accumulated {
  /** The `loss` sequences' part (the `ppo` ones' is read with the gradient norm). */
  loss: number;
  tokens: number;
  skipped?: string;
  ppoSlots: PpoSlot[];
}

/** ppoLoss's checks of a `ppo` sequence's inputs, before any work; returns its masked tokens. */
function checkPpoSequence(ppo: PpoSequenceLoss, responseLength: number, index: number): number {
  if (ppo.mask.length !== responseLength)
    throw new Error(
      `training sequence ${index + 1}: its PPO inputs hold ${ppo.mask.length} tokens, its response ${responseLength}`,
    );
  return checkPpoInputs(ppo, ppo.settings, ppo.tokenCount);
}

/** LoRA training on a frozen base. */
export class LoraTrainer<T> extends AdamWTrainer<T> {
  constructor(
    model: Qwen3Model<T>,
    readonly lora: LoraState<T>,
    settings: AdamWSettings = defaultAdamW,
    options: TrainerOptions = {},
  ) {
    super(
      model,
      { params: lora.params, grads: lora.grads, size: lora.layout.size, lora, targets: { lora } },
      settings,
      options,
    );
  }
}

/**
 * Full training of every projection weight (the model must have been built with
 * `withTrainedProjections` over the same state); embedding and norms stay frozen.
 */
export class ProjectionTrainer<T> extends AdamWTrainer<T> {
  constructor(
    model: Qwen3Model<T>,
    readonly state: ProjectionState<T>,
    settings: AdamWSettings = defaultAdamW,
    options: TrainerOptions = {},
  ) {
    super(
      model,
      {
        params: state.params,
        grads: state.grads,
        size: state.layout.size,
        targets: { weights: projectionGrads(model.backend, model.config, state) },
      },
      settings,
      options,
    );
  }
}
