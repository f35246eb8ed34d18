/**
 * The one interface every model backend implements (the engine on CPU or WebGPU, a
 * transformers.js model, a scripted policy in tests), so rollouts, scoring and the UI
 * never care which backend produced a token.
 */

/** How to draw the next token. temperature 0 means greedy (argmax). */
export interface SamplingSettings {
  /** Softmax temperature; 0 = greedy. */
  temperature: number;
  /** Nucleus sampling mass in (0, 1]; 1 = off. */
  topP: number;
  /** Keep only the k most likely tokens; 0 = off. */
  topK: number;
  /** The same seed, inputs and weights give the same tokens. */
  seed: number;
  /** Hard limit on tokens produced by this call. */
  maxNewTokens: number;
  /** Generation stops after emitting one of these ids (the stop token is emitted: it belongs to the turn). */
  stopTokenIds: readonly number[];
  /**
   * Generation stops once the decoded text of this call ends with one of these strings.
   * Policies see token ids only, so the rollout loop enforces these (it owns the tokenizer)
   * by ending the stream; a policy may ignore them.
   */
  stopStrings: readonly string[];
}

export const defaultSampling: SamplingSettings = {
  temperature: 1,
  topP: 1,
  topK: 0,
  seed: 0,
  maxNewTokens: 512,
  stopTokenIds: [],
  stopStrings: [],
};

/** One sampled token and its log-probability under the sampling policy (temperature 1, unfiltered). */
export interface GeneratedToken {
  id: number;
  /** log π(id | prefix) of the model itself, before temperature/top-k/top-p: the s_t of the algorithm. */
  logprob: number;
}

export interface GenerateRequest {
  /** The whole sequence so far (prompt and every earlier turn); the policy continues it. */
  inputIds: readonly number[];
  sampling: SamplingSettings;
  /** Aborting ends the stream after the token in flight; nothing is thrown. */
  signal?: AbortSignal;
}

/**
 * A model that continues a token sequence. Calls for successive turns of one trajectory
 * pass a growing `inputIds`; an implementation may keep its KV cache for the longest
 * common prefix with the previous call.
 */
export interface Policy {
  readonly name: string;
  /** The most tokens, prompt and response together, the model can attend to (its max_position_embeddings), if it has a bound. */
  readonly contextLength?: number;
  generate(request: GenerateRequest): AsyncIterable<GeneratedToken>;
}

/** A model that scores a given continuation: log π(y_t | y_<t) for every response token. */
export interface LogprobScorer {
  readonly name: string;
  /** Returns one log-probability per id of `responseIds`, each conditioned on the prompt and the earlier response ids. */
  scoreTokens(
    promptIds: readonly number[],
    responseIds: readonly number[],
    signal?: AbortSignal,
  ): Promise<Float64Array>;
}

/** The PPO clip settings (docs/algorithm.md, Policy loss; the defaults are src/sod's). */
export interface PpoSettings {
  /** ratio is clipped below at 1 − clipLow. */
  clipLow: number;
  /** ratio is clipped above at 1 + clipHigh. */
  clipHigh: number;
  /** For negative advantages the loss is at most −A · dualClip. */
  dualClip: number;
  /** log πθ − s is clamped to ±logRatioClamp before exp. */
  logRatioClamp: number;
}

/** One sequence's part of a PPO minibatch loss (src/sod's ppoLoss), all but the current log-probs. */
export interface PpoSequenceLoss {
  oldLogprobs: ArrayLike<number>; // (n) s_t, the rollout policy's log-probs of the response
  advantages: ArrayLike<number>; //  (n) A_t
  mask: ArrayLike<number>; //        (n) 0 or 1
  settings: PpoSettings;
  /** The minibatch's masked tokens: the denominator of the token mean. */
  tokenCount: number;
}

/**
 * One sequence of a training batch: its loss is a function of the response tokens' log-probs,
 * either any function (`loss`, computed where the caller is, after the log-probs are read) or
 * the PPO loss (`ppo`, computed by the trainer where the log-probs are: on a GPU, a whole
 * optimizer step then reads back once).
 */
export type TrainingSequence = {
  promptIds: readonly number[];
  responseIds: readonly number[];
} & (
  | {
      /** This sequence's part of the batch loss and its gradient with respect to the response log-probs. */
      loss(logprobs: Float64Array): { loss: number; grad: Float64Array };
    }
  | { ppo: PpoSequenceLoss }
);

/** What the PPO loss saw over a step's `ppo` sequences, as token counts over its masked tokens. */
export interface PpoStepCounts {
  tokens: number;
  /** Tokens whose ratio was clipped (the clipped term was the larger). */
  clipped: number;
  /** Tokens with A < 0 whose loss was capped at −A · dualClip. */
  dualClipped: number;
  /** Σ over masked tokens of s_t − log πθ(y_t) (the k1 estimate of KL(old ‖ current) times tokens). */
  klSum: number;
}

export interface TrainingStepResult {
  loss: number;
  gradNorm: number;
  tokens: number;
  seconds: number;
  /**
   * Why the optimizer step was not taken: a log-prob, the loss or the gradient was NaN or
   * infinite. The adapter and the optimizer's state are then exactly as before the step.
   */
  skipped?: string;
  /** With `ppo` sequences: what their loss saw. */
  ppo?: PpoStepCounts;
}

/** A model whose adapter can take an optimizer step on a batch (the engine's LoraTrainer). */
export interface PolicyTrainer {
  trainStep(batch: readonly TrainingSequence[]): Promise<TrainingStepResult>;
}
