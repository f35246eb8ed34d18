import { describeJson, parseJsonFile } from '../core/json';

/** The shard files a model.safetensors.index.json names (its weight_map's values), each once, in order. */
export function shardsOfIndex(indexJson: string, source = 'model.safetensors.index.json'): string[] {
  const index = parseJsonFile(indexJson, source);
  const map = typeof index === 'object' && index !== null && 'weight_map' in index ? index.weight_map : undefined;
  if (typeof map !== 'object' || map === null) throw new Error(`${source} has no weight_map`);
  const shards = [...new Set(Object.values(map))];
  // Only files of the model's folder are fetched: a path out of it (.., /), or anything but a shard, is refused.
  const bad = shards.find(
    (s) => typeof s !== 'string' || !s.endsWith('.safetensors') || s.includes('..') || s.startsWith('/'),
  );
  if (bad !== undefined)
    throw new Error(`${source}: shard ${describeJson(bad)} is not a .safetensors file of the model folder`);
  return shards.filter((s) => typeof s === 'string');
}
