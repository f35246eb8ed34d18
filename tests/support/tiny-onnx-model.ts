import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseQwen3Config, qwen3SizeFields, type Qwen3Config, type Qwen3SizeFields } from '../../src/engine/config';
import { randomWeights as engineWeights } from '../../src/engine/params';
import { qwen3ToOnnx } from '../../src/models/onnx/export-qwen3';
import { onnx } from '../../src/models/onnx/onnx-proto';
import { writeTinyModelFolder } from './tiny-model-folder';

/** A tiny Qwen3 with GQA and head_dim ≠ hidden/heads, for ONNX and transformers.js tests. */
export const tinyDims: Qwen3SizeFields = {
  hidden_size: 16,
  intermediate_size: 24,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  head_dim: 6,
  rms_norm_eps: 1e-6,
  rope_theta: 10000,
  vocab_size: 40,
  tie_word_embeddings: true,
};

/** Seeded random weights under Hugging Face names. */
export function randomWeights(d: Qwen3SizeFields): Map<string, Float32Array> {
  let s = 12345;
  const rand = (n: number, scale = 0.3) =>
    Float32Array.from({ length: n }, () => {
      s = (s * 1103515245 + 12345) % 2 ** 31;
      return (s / 2 ** 31 - 0.5) * 2 * scale;
    });
  const w = new Map<string, Float32Array>();
  const C = d.hidden_size;
  w.set('model.embed_tokens.weight', rand(d.vocab_size * C, 1));
  w.set(
    'model.norm.weight',
    rand(C).map((x) => 1 + x),
  );
  for (let i = 0; i < d.num_hidden_layers; i++) {
    const p = `model.layers.${i}`;
    w.set(
      `${p}.input_layernorm.weight`,
      rand(C).map((x) => 1 + x),
    );
    w.set(
      `${p}.post_attention_layernorm.weight`,
      rand(C).map((x) => 1 + x),
    );
    w.set(
      `${p}.self_attn.q_norm.weight`,
      rand(d.head_dim).map((x) => 1 + x),
    );
    w.set(
      `${p}.self_attn.k_norm.weight`,
      rand(d.head_dim).map((x) => 1 + x),
    );
    w.set(`${p}.self_attn.q_proj.weight`, rand(d.num_attention_heads * d.head_dim * C));
    w.set(`${p}.self_attn.k_proj.weight`, rand(d.num_key_value_heads * d.head_dim * C));
    w.set(`${p}.self_attn.v_proj.weight`, rand(d.num_key_value_heads * d.head_dim * C));
    w.set(`${p}.self_attn.o_proj.weight`, rand(C * d.num_attention_heads * d.head_dim));
    w.set(`${p}.mlp.gate_proj.weight`, rand(d.intermediate_size * C));
    w.set(`${p}.mlp.up_proj.weight`, rand(d.intermediate_size * C));
    w.set(`${p}.mlp.down_proj.weight`, rand(C * d.intermediate_size));
  }
  return w;
}

export function lookup(weights: Map<string, Float32Array>) {
  return (name: string) => {
    const w = weights.get(name);
    if (w === undefined) throw new Error(`missing weight ${name}`);
    return w;
  };
}

/** Writes config.json, generation_config.json and onnx/model.onnx of the tiny model under a fresh root; returns the root. */
export async function writeTinyOnnxFolder(name: string): Promise<{ root: string; dir: string; bytes: Uint8Array }> {
  const root = mkdtempSync(join(tmpdir(), 'sodp-onnx-'));
  const dir = join(root, name);
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  const bytes = await qwen3ToOnnx(tinyDims, lookup(randomWeights(tinyDims)));
  writeFileSync(join(dir, 'onnx', 'model.onnx'), bytes);
  const config = {
    architectures: ['Qwen3ForCausalLM'],
    model_type: 'qwen3',
    ...tinyDims,
    max_position_embeddings: 512,
    eos_token_id: 39,
    bos_token_id: null,
    torch_dtype: 'float32',
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  writeFileSync(join(dir, 'generation_config.json'), JSON.stringify({ eos_token_id: 39, do_sample: false }));
  return { root, dir, bytes };
}

/**
 * An ONNX model with its initializers moved to an external data file, as exports over 2 GB are
 * stored: the graph refers to `location` by offset and length.
 */
export function withExternalData(model: Uint8Array, location: string): { graph: Uint8Array; data: Uint8Array } {
  const proto = onnx.ModelProto.decode(model);
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const tensor of proto.graph?.initializer ?? []) {
    const raw = tensor.rawData;
    if (raw === null || raw === undefined || raw.byteLength < 64) continue;
    chunks.push(raw.slice());
    tensor.externalData = [
      { key: 'location', value: location },
      { key: 'offset', value: String(offset) },
      { key: 'length', value: String(raw.byteLength) },
    ];
    tensor.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    tensor.rawData = new Uint8Array(0);
    offset += raw.byteLength;
  }
  const data = new Uint8Array(offset);
  let at = 0;
  for (const c of chunks) {
    data.set(c, at);
    at += c.byteLength;
  }
  return { graph: onnx.ModelProto.encode(proto).finish(), data };
}

/**
 * A tiny Qwen3 repository in both layouts, as a Hub ONNX repository beside the engine's: the folder
 * of writeTinyModelFolder (config, tokenizer, model.safetensors) plus `onnx/model.onnx`, the same
 * weights exported by our exporter (fp32). With `externalData`, the weights go to
 * `onnx/model.onnx_data` and the config says so, as in the Hub's large exports. Returns the folder.
 */
export async function writeTinyOnnxRepo(
  name: string,
  seed: number,
  shape: Partial<Qwen3Config> = {},
  options: { externalData?: boolean } = {},
): Promise<string> {
  const dir = writeTinyModelFolder(name, shape, seed);
  const configJson = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  const config = parseQwen3Config(configJson);
  mkdirSync(join(dir, 'onnx'));
  const bytes = await qwen3ToOnnx(qwen3SizeFields(config), lookup(engineWeights(config, seed)));
  if (options.externalData) {
    const { graph, data } = withExternalData(bytes, 'model.onnx_data');
    writeFileSync(join(dir, 'onnx', 'model.onnx'), graph);
    writeFileSync(join(dir, 'onnx', 'model.onnx_data'), data);
    configJson['transformers.js_config'] = { use_external_data_format: { 'model.onnx': 1 } };
    writeFileSync(join(dir, 'config.json'), JSON.stringify(configJson, null, 2));
  } else writeFileSync(join(dir, 'onnx', 'model.onnx'), bytes);
  return dir;
}
