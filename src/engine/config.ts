import { describeJson } from '../core/json';

/** The sizes of a Qwen3ForCausalLM, read from its Hugging Face config.json. */
export interface Qwen3Config {
  hiddenSize: number; //            C
  intermediateSize: number; //      I
  numLayers: number; //             L
  numHeads: number; //              Hq
  numKvHeads: number; //            Hkv (divides Hq)
  headDim: number; //               D (may differ from C / Hq)
  rmsNormEps: number;
  ropeTheta: number;
  vocabSize: number; //             V
  tieWordEmbeddings: boolean;
  maxPositionEmbeddings: number;
  /** The dtype the checkpoint was saved in ('bfloat16', 'float16', 'float32'). */
  torchDtype: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads a config.json object; refuses another architecture and names any missing or inconsistent field. */
export function parseQwen3Config(json: unknown, source = 'config.json'): Qwen3Config {
  if (!isRecord(json)) throw new ConfigError(`${source}: expected a JSON object`);
  const architectures = json.architectures;
  const modelType = json.model_type;
  const isQwen3 = modelType === 'qwen3' || (Array.isArray(architectures) && architectures.includes('Qwen3ForCausalLM'));
  if (!isQwen3) {
    const what = Array.isArray(architectures)
      ? architectures.map((a) => (typeof a === 'string' ? a : describeJson(a))).join(', ')
      : describeJson(modelType);
    throw new ConfigError(`${source}: architecture ${what} is not Qwen3ForCausalLM (model_type 'qwen3')`);
  }
  const positive = (field: string): number => {
    const v = json[field];
    if (v === undefined) throw new ConfigError(`${source}: ${field} is missing`);
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0)
      throw new ConfigError(`${source}: ${field} must be a positive integer, got ${describeJson(v)}`);
    // Above 2^53 integers are no longer exact, and no model has such a size.
    if (!Number.isSafeInteger(v)) throw new ConfigError(`${source}: ${field} is ${v}, too large to be a size`);
    return v;
  };
  const positiveNumber = (field: string): number => {
    const v = json[field];
    if (v === undefined) throw new ConfigError(`${source}: ${field} is missing`);
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
      throw new ConfigError(`${source}: ${field} must be a positive finite number, got ${describeJson(v)}`);
    return v;
  };
  const hiddenSize = positive('hidden_size');
  const numHeads = positive('num_attention_heads');
  const numKvHeads = positive('num_key_value_heads');
  if (numHeads % numKvHeads !== 0) {
    throw new ConfigError(
      `${source}: num_attention_heads (${numHeads}) must be a multiple of num_key_value_heads (${numKvHeads})`,
    );
  }
  const headDim = json.head_dim === undefined ? hiddenSize / numHeads : positive('head_dim');
  if (!Number.isInteger(headDim) || headDim % 2 !== 0)
    throw new ConfigError(
      json.head_dim === undefined
        ? `${source}: head_dim is missing and hidden_size / num_attention_heads (${hiddenSize} / ${numHeads}) is not an even integer`
        : `${source}: head_dim must be an even integer, got ${headDim}`,
    );
  const tie = json.tie_word_embeddings ?? false;
  if (typeof tie !== 'boolean')
    throw new ConfigError(`${source}: tie_word_embeddings must be true or false, got ${describeJson(tie)}`);
  const dtype = json.torch_dtype ?? 'float32';
  if (typeof dtype !== 'string')
    throw new ConfigError(`${source}: torch_dtype must be a string, got ${describeJson(dtype)}`);
  return {
    hiddenSize,
    intermediateSize: positive('intermediate_size'),
    numLayers: positive('num_hidden_layers'),
    numHeads,
    numKvHeads,
    headDim,
    rmsNormEps: positiveNumber('rms_norm_eps'),
    ropeTheta: positiveNumber('rope_theta'),
    vocabSize: positive('vocab_size'),
    tieWordEmbeddings: tie,
    maxPositionEmbeddings: positive('max_position_embeddings'),
    torchDtype: dtype,
  };
}

/** A model's sizes under their config.json names (what an ONNX export needs too). */
export interface Qwen3SizeFields {
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  head_dim: number;
  rms_norm_eps: number;
  rope_theta: number;
  vocab_size: number;
  tie_word_embeddings: boolean;
}

export function qwen3SizeFields(c: Qwen3Config): Qwen3SizeFields {
  return {
    hidden_size: c.hiddenSize,
    intermediate_size: c.intermediateSize,
    num_hidden_layers: c.numLayers,
    num_attention_heads: c.numHeads,
    num_key_value_heads: c.numKvHeads,
    head_dim: c.headDim,
    rms_norm_eps: c.rmsNormEps,
    rope_theta: c.ropeTheta,
    vocab_size: c.vocabSize,
    tie_word_embeddings: c.tieWordEmbeddings,
  };
}

/** The config.json object for a config (for saving models we make). */
export function qwen3ConfigJson(c: Qwen3Config, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    architectures: ['Qwen3ForCausalLM'],
    model_type: 'qwen3',
    ...qwen3SizeFields(c),
    max_position_embeddings: c.maxPositionEmbeddings,
    torch_dtype: c.torchDtype,
    hidden_act: 'silu',
    attention_bias: false,
    ...extra,
  };
}
