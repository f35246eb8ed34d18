import type { TrainingSequence } from '../../core/policy';
import type { Backend } from '../../engine/backend';
import type { Qwen3Config } from '../../engine/config';
import {
  packProjections,
  projectionLayout,
  unpackProjections,
  withTrainedProjections,
  type ProjectionState,
} from '../../engine/full-training';
import { Qwen3Model } from '../../engine/model';
import { assembleWeights } from '../../engine/params';
import { seededUniform } from '../../core/random';
import { defaultAdamW, ProjectionTrainer } from '../../engine/train';
import type { Caller } from '../../core/rpc/rpc';
import { maskedCrossEntropy } from '../../sod/loss';
import type { SftExample, SftWorkerProtocol } from './sft-worker-protocol';

export interface ScratchTraining {
  steps: number;
  /** Sequences per optimizer step. */
  batchSize: number;
  /** Peak learning rate, reached after `warmup` steps, then a cosine decay to a tenth of it. */
  lr: number;
  warmup: number;
  /** Seeds the order of the examples. */
  seed: number;
}

export interface ScratchStep {
  step: number;
  /** Token-mean cross-entropy of the step's batch, in nats. */
  loss: number;
  gradNorm: number;
  lr: number;
  tokens: number;
  seconds: number;
}

export function learningRate(step: number, s: ScratchTraining): number {
  if (step < s.warmup) return (s.lr * (step + 1)) / s.warmup;
  const progress = (step - s.warmup) / Math.max(1, s.steps - s.warmup);
  return s.lr * (0.1 + 0.45 * (1 + Math.cos(Math.PI * Math.min(1, progress))));
}

export interface ScratchTrainingOptions {
  onStep?: (step: ScratchStep) => void;
  /** Every `every` steps, `stop` decides whether to end training there (e.g. on a validation score). */
  checkpoint?: { every: number; stop: (step: number) => Promise<boolean> };
  signal?: AbortSignal;
  /** Gradient workers already given the same config, initial weights and data. */
  workers?: readonly Caller<SftWorkerProtocol>[];
}

/** Training from scratch: a higher rate, a shorter second-moment memory and no weight decay. */
const adamw = { ...defaultAdamW, lr: 1e-3, beta2: 0.98, weightDecay: 0 };

/**
 * A model on `backend` whose projections are trained from `initial`, everything else
 * frozen; the prompt text all sequences of a batch share is held constant
 * (TrainerOptions.sharedPrefix).
 */
export class ScratchModel<T> {
  readonly model: Qwen3Model<T>;
  private readonly state: ProjectionState<T>;
  private readonly trainer: ProjectionTrainer<T>;

  constructor(
    readonly backend: Backend<T>,
    readonly config: Qwen3Config,
    private readonly initial: ReadonlyMap<string, Float32Array>,
  ) {
    const layout = projectionLayout(config);
    this.state = {
      layout,
      params: backend.upload(packProjections(layout, initial), 'projections'),
      grads: backend.zeros(layout.size, 'projection grads'),
    };
    const frozen = assembleWeights(config, (name) => {
      const w = initial.get(name);
      if (w === undefined) throw new Error(`no initial weight ${name}`);
      return backend.upload(w, name);
    });
    this.model = new Qwen3Model(backend, config, withTrainedProjections(backend, frozen, this.state));
    this.trainer = new ProjectionTrainer(this.model, this.state, adamw, { sharedPrefix: 'frozen' });
  }

  /** Zeroes the gradients and adds the token-mean cross-entropy gradients of `batch` (tokenCount: the whole batch's masked tokens). */
  gradients(batch: readonly SftExample[], tokenCount: number): Promise<{ loss: number; tokens: number }> {
    const sequences: TrainingSequence[] = batch.map((x) => ({
      promptIds: x.promptIds,
      responseIds: x.responseIds,
      loss: (lp) => maskedCrossEntropy(lp, x.mask, tokenCount),
    }));
    return this.trainer.accumulate(sequences);
  }

  setProjections(params: Float32Array): void {
    this.backend.write(this.state.params, params);
  }

  async readProjections(): Promise<Float32Array> {
    return Float32Array.from(await this.backend.read(this.state.params, this.state.layout.size));
  }

  async readGradients(): Promise<Float32Array> {
    return Float32Array.from(await this.backend.read(this.state.grads, this.state.layout.size));
  }

  /**
   * SFT with AdamW on shuffled batches. With `workers` (gradient workers already given the
   * same initial weights and `data`), each step's batch is split among them and their
   * gradients summed here, so every core works; otherwise this thread does it all.
   */
  async train(data: readonly SftExample[], s: ScratchTraining, options: ScratchTrainingOptions = {}): Promise<void> {
    if (data.length === 0) throw new Error('no training examples');
    const uniform = seededUniform(s.seed);
    let order: number[] = [];
    for (let step = 0; step < s.steps && !options.signal?.aborted; step++) {
      const started = performance.now();
      const batch: number[] = [];
      while (batch.length < s.batchSize) {
        if (order.length === 0) order = shuffled(data.length, uniform);
        const next = order.pop();
        if (next !== undefined) batch.push(next);
      }
      const tokenCount = batch.reduce((n, i) => n + data[i].mask.reduce((a, m) => a + m, 0), 0);
      const result = options.workers?.length
        ? await this.gradientsFromWorkers(options.workers, batch, tokenCount)
        : await this.gradients(
            batch.map((i) => data[i]),
            tokenCount,
          );
      const lr = learningRate(step, s);
      this.trainer.settings = { ...adamw, lr };
      const { norm: gradNorm } = await this.trainer.update();
      options.onStep?.({
        step: step + 1,
        loss: result.loss,
        gradNorm,
        lr,
        tokens: result.tokens,
        seconds: (performance.now() - started) / 1000,
      });
      if (
        options.checkpoint &&
        (step + 1) % options.checkpoint.every === 0 &&
        (await options.checkpoint.stop(step + 1))
      )
        break;
    }
  }

  /** Every weight by Hugging Face name: the trained projections and the frozen rest. */
  async tensors(): Promise<Map<string, Float32Array>> {
    return new Map([...this.initial, ...unpackProjections(this.state.layout, await this.readProjections())]);
  }

  private async gradientsFromWorkers(
    workers: readonly Caller<SftWorkerProtocol>[],
    batch: number[],
    tokenCount: number,
  ): Promise<{ loss: number; tokens: number }> {
    const params = await this.readProjections();
    const parts = workers.map((_, w) => batch.filter((_, i) => i % workers.length === w));
    const results = await Promise.all(
      workers.map((worker, w) => worker.call('gradients', { params, examples: parts[w], tokenCount })),
    );
    const sum = new Float32Array(this.state.layout.size);
    for (const r of results) for (let i = 0; i < sum.length; i++) sum[i] += r.grads[i];
    this.backend.write(this.state.grads, sum);
    return { loss: results.reduce((a, r) => a + r.loss, 0), tokens: results.reduce((a, r) => a + r.tokens, 0) };
  }
}

/** A seeded permutation of 0..n−1. */
function shuffled(n: number, uniform: () => number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(uniform() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}
