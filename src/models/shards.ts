/** The shard files a model.safetensors.index.json names (its weight_map's values), each once, in order. */
export function shardsOfIndex(indexJson: string, source = 'model.safetensors.index.json'): string[] {
  const index: unknown = JSON.parse(indexJson);
  const map = typeof index === 'object' && index !== null && 'weight_map' in index ? index.weight_map : undefined;
  if (typeof map !== 'object' || map === null) throw new Error(`${source} has no weight_map`);
  const shards = [...new Set(Object.values(map).map(String))];
  const bad = shards.find((s) => s.includes('..') || s.startsWith('/'));
  if (bad !== undefined) throw new Error(`${source}: shard ${JSON.stringify(bad)} is not a file of the model folder`);
  return shards;
}
