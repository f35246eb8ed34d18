import type { PolicyTrainer, TrainingSequence, TrainingStepResult } from '../agent/policy';
import type { AdamWSettings } from './backend';
import { defaultAdamW } from './cpu/adamw';
import type { LoraState, Qwen3Model } from './model';

/**
 * LoRA training on a frozen base: gradient accumulation over the sequences of a batch
 * (one forward and backward each), then one clipped AdamW step on the GPU or CPU.
 */
export class LoraTrainer<T> implements PolicyTrainer {
  private readonly m: T;
  private readonly v: T;
  private readonly norm: T;
  /** Optimizer steps taken. */
  step = 0;

  constructor(
    readonly model: Qwen3Model<T>,
    readonly lora: LoraState<T>,
    public settings: AdamWSettings = defaultAdamW,
  ) {
    const b = model.backend;
    this.m = b.zeros(lora.layout.size, 'adam m');
    this.v = b.zeros(lora.layout.size, 'adam v');
    this.norm = b.zeros(1, 'grad norm');
  }

  async trainStep(batch: readonly TrainingSequence[]): Promise<TrainingStepResult> {
    const started = performance.now();
    const b = this.model.backend;
    const n = this.lora.layout.size;
    b.fill(this.lora.grads, 0, n);
    let loss = 0;
    let tokens = 0;
    for (const seq of batch) {
      const ids = [...seq.promptIds, ...seq.responseIds];
      const P = seq.promptIds.length;
      if (P === 0) throw new Error('a training sequence needs a non-empty prompt');
      const all = await this.model.logprobs(ids, this.lora);
      const response = Float64Array.from(all.subarray(P - 1));
      const part = seq.loss(response);
      if (!Number.isFinite(part.loss)) throw new Error(`the loss is ${part.loss} on a sequence of ${ids.length} tokens: training stopped before updating`);
      const upstream = new Float64Array(ids.length - 1);
      upstream.set(part.grad, P - 1);
      await this.model.backward(ids, this.lora, upstream);
      loss += part.loss;
      tokens += seq.responseIds.length;
    }
    b.gradNorm(this.norm, this.lora.grads, n);
    this.step++;
    b.adamw(this.lora.params, this.lora.grads, this.m, this.v, this.norm, n, this.step, this.settings);
    const gradNorm = (await b.read(this.norm, 1))[0];
    return { loss, gradNorm, tokens, seconds: (performance.now() - started) / 1000 };
  }
}
