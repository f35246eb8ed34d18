/**
 * How much memory a model takes in the engine, before anything loads: the engine's own code
 * runs a workload (a rollout, scoring, a training step) on the meta backend, which allocates
 * nothing and counts every tensor's bytes. So the plan is what the engine would allocate,
 * not a second formula for it.
 */
import type { WeightStorage } from './backend';
import type { Qwen3Config } from './config';
import { EnginePolicy, EngineScorer } from './inference';
import { loraLayout, type LoraConfig } from './lora';
import { createLoraState } from './lora-state';
import { MetaBackend } from './meta-backend';
import { Qwen3Model } from './model';
import { assembleWeights, weightNames } from './params';
import { LoraTrainer } from './train';

/** The largest work the model does at once in a run. */
export interface Workload {
  /** Tokens of the longest prompt (the system text, the tool's description and the question). */
  promptTokens: number;
  /** New tokens per assistant turn. */
  turnTokens: number;
  /** Tokens of a whole trajectory after the prompt: every turn and tool output. */
  responseTokens: number;
  /** Sequences trained in one optimizer step (a mini-batch: its prompts × the group size). */
  sequencesPerStep: number;
}

export type PlanPart = 'weights' | 'KV caches' | 'activations and scratch' | 'shared prompt' | 'LoRA' | 'AdamW state';

export interface MemoryPlan {
  /** Bytes by part, largest first. */
  parts: { part: PlanPart; bytes: number }[];
  /** Bytes held at the end of the workload (everything the engine keeps for the next update). */
  totalBytes: number;
  /** The most held at once. */
  peakBytes: number;
  /** The largest tensor that must fit one buffer and one binding of the adapter. */
  largestTensorBytes: number;
  /** Its label as the engine gives it (e.g. 'k cache 0'), and the part of the plan it belongs to. */
  largestTensor: { label: string; part: PlanPart };
  /** The vocabulary-sized matrices (embedding, LM head), which WebGPU splits by rows when they do not fit one. */
  vocabularyMatrixBytes: number;
}

/** Which part of the plan a tensor belongs to, by the label the engine gives it. */
function partOf(label: string): PlanPart {
  if (label.startsWith('model.') || label === 'lm_head.weight') return 'weights';
  if (/^[kv] cache /.test(label)) return 'KV caches';
  if (label.startsWith('prefix ')) return 'shared prompt';
  if (label === 'lora' || label === 'lora grads') return 'LoRA';
  if (label === 'adam m' || label === 'adam v' || label === 'grad norm') return 'AdamW state';
  return 'activations and scratch';
}

/**
 * Runs `workload` on `model`: as a student (with an adapter of `lora`: two rollout turns,
 * scoring its own tokens, one training step), or as a teacher (scoring only).
 */
export async function runWorkload<T>(
  model: Qwen3Model<T>,
  workload: Workload,
  lora: LoraConfig | undefined,
): Promise<void> {
  const { promptTokens, turnTokens, responseTokens, sequencesPerStep } = workload;
  const prompt = new Array<number>(promptTokens).fill(1);
  const response = new Array<number>(responseTokens).fill(1);
  if (lora === undefined) {
    await new EngineScorer('plan', model).scoreTokens(prompt, response);
    return;
  }
  const layout = loraLayout(model.config, lora);
  const state = createLoraState(model.backend, layout, new Float32Array(layout.size));
  const policy = new EnginePolicy('plan', model, state);
  const sampling = {
    temperature: 0,
    topP: 1,
    topK: 0,
    seed: 0,
    maxNewTokens: turnTokens,
    stopTokenIds: [],
    stopStrings: [],
  };
  // The first turn from the prompt; the last one after everything else of the trajectory.
  for await (const _ of policy.generate({ inputIds: prompt, sampling }));
  const beforeLastTurn = Math.max(promptTokens + 1, promptTokens + responseTokens - turnTokens);
  for await (const _ of policy.generate({ inputIds: [...prompt, ...response].slice(0, beforeLastTurn), sampling }));
  await policy.scoreTokens(prompt, response);
  const trainer = new LoraTrainer(model, state);
  const zero = () => ({ loss: 0, grad: new Float64Array(responseTokens) });
  await trainer.trainStep(
    Array.from({ length: sequencesPerStep }, () => ({ promptIds: prompt, responseIds: response, loss: zero })),
  );
}

/**
 * The memory plan of `config` running `workload` (with an adapter of `lora` for a student),
 * the matrices stored as `weights` (f32 unless said).
 */
export async function planMemory(
  config: Qwen3Config,
  workload: Workload,
  lora?: LoraConfig,
  weights: WeightStorage = { format: 'f32' },
): Promise<MemoryPlan> {
  const meta = new MetaBackend(4, weights);
  const shapes = new Map(weightNames(config).map(({ name, shape }) => [name, shape]));
  const model = new Qwen3Model(
    meta,
    config,
    // As loadQwen3 uploads them: matrices by rows, vectors whole.
    assembleWeights(config, (name) => {
      const shape = shapes.get(name) ?? [0];
      const count = shape.reduce((a, b) => a * b, 1);
      return shape.length === 2 ? meta.matrix(count, shape[1], name) : meta.zeros(count, name);
    }),
  );
  await runWorkload(model, workload, lora);
  const parts = [...meta.bytesBy(partOf)].map(([part, bytes]) => ({ part, bytes })).sort((a, b) => b.bytes - a.bytes);
  // Vocabulary-sized: split by rows on WebGPU, and the chunk of logits over those rows.
  const isVocab = (t: { label: string }) =>
    t.label === 'model.embed_tokens.weight' || t.label === 'lm_head.weight' || t.label === 'vocab logits chunk';
  const largest = (tensors: readonly { bytes: number }[]) => Math.max(0, ...tensors.map((t) => t.bytes));
  const others = meta.tensors().filter((t) => !isVocab(t));
  const largestTensorBytes = largest(others);
  const label = others.find((t) => t.bytes === largestTensorBytes)?.label ?? '';
  return {
    parts,
    totalBytes: meta.liveBytes,
    peakBytes: meta.peakBytes,
    largestTensorBytes,
    largestTensor: { label, part: partOf(label) },
    vocabularyMatrixBytes: largest(meta.tensors().filter(isVocab)),
  };
}
