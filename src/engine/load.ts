import { parseJsonFile } from '../core/json';
import type { Backend } from './backend';
import { parseQwen3Config, type Qwen3Config } from './config';
import { Qwen3Model } from './model';
import { assembleWeights, weightNames } from './params';
import { SafetensorsFile, ShardedCheckpoint } from './safetensors';

/** A model folder, wherever it lives: a directory in Node, picked files or a download cache in a browser. */
export interface ModelFiles {
  /** Where it came from, for messages. */
  readonly name: string;
  exists(path: string): Promise<boolean>;
  text(path: string): Promise<string>;
  blob(path: string): Promise<Blob>;
}

export interface LoadProgress {
  tensor: string;
  done: number;
  total: number;
}

/** The tensors of a checkpoint (one safetensors file or a sharded one), read one at a time as f32. */
export interface TensorSource {
  info(name: string): { shape: number[] };
  read(name: string): Promise<Float32Array>;
  has(name: string): boolean;
}

export async function openWeights(files: ModelFiles): Promise<TensorSource> {
  if (await files.exists('model.safetensors.index.json')) {
    const index = parseJsonFile(
      await files.text('model.safetensors.index.json'),
      `${files.name}/model.safetensors.index.json`,
    );
    const checkpoint = await ShardedCheckpoint.open(index, (file) => files.blob(file));
    const names = new Set(checkpoint.names);
    return { info: (n) => checkpoint.info(n), read: (n) => checkpoint.read(n), has: (n) => names.has(n) };
  }
  if (!(await files.exists('model.safetensors')))
    throw new Error(`${files.name}: no model.safetensors or model.safetensors.index.json`);
  const file = await SafetensorsFile.open(await files.blob('model.safetensors'), 'model.safetensors');
  return { info: (n) => file.info(n), read: (n) => file.read(n), has: (n) => file.tensors.has(n) };
}

/** Reads config.json and the weights of a Qwen3 folder onto `backend`, tensor by tensor. */
export async function loadQwen3<T>(
  backend: Backend<T>,
  files: ModelFiles,
  onProgress?: (p: LoadProgress) => void,
): Promise<Qwen3Model<T>> {
  const configPath = `${files.name}/config.json`;
  const config: Qwen3Config = parseQwen3Config(parseJsonFile(await files.text('config.json'), configPath), configPath);
  const source = await openWeights(files);
  const names = weightNames(config);
  const tensors = new Map<string, T>();
  for (const [i, { name, shape }] of names.entries()) {
    if (!source.has(name)) throw new Error(`${files.name}: the checkpoint has no tensor ${name}`);
    const found = source.info(name).shape;
    if (found.join(',') !== shape.join(','))
      throw new Error(
        `${files.name}: tensor ${name} has shape [${found.join(', ')}], config.json implies [${shape.join(', ')}]`,
      );
    const data = await source.read(name);
    tensors.set(name, shape.length === 2 ? backend.uploadRows(data, shape[0], name) : backend.upload(data, name));
    onProgress?.({ tensor: name, done: i + 1, total: names.length });
  }
  return new Qwen3Model(
    backend,
    config,
    assembleWeights(config, (name) => {
      const t = tensors.get(name);
      if (t === undefined) throw new Error(`${files.name}: tensor ${name} was not loaded`);
      return t;
    }),
  );
}
