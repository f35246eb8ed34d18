/**
 * A model named by its Hub id (`Qwen/Qwen3-0.6B`, `owner/name@revision`) as a folder on disk,
 * in the Hugging Face cache layout that Python's huggingface_hub and transformers share
 * (`$HF_HOME/hub/models--owner--name/{refs,blobs,snapshots}`), downloaded by
 * `@huggingface/hub`. Only the files the engine needs are fetched, and the config and the
 * tokenizer are checked before any weights. With `offline` (HF_HUB_OFFLINE=1) nothing is
 * fetched: the cache answers or the error says what is missing. Node only.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { downloadFileToCacheDir, getHFHubCachePath, modelInfo } from '@huggingface/hub';
import { parseJsonFile } from '../core/json';
import { parseQwen3Config } from '../engine/config';
import { defaultHubEndpoint, HubModelError, modelMetadataFiles, optionalMetadataFiles, type HubModelId } from './hub';
import { shardsOfIndex } from './shards';

export interface HubCacheOptions {
  /** The cache root (…/hub); default HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub. */
  cacheDir?: string;
  /** Default HF_ENDPOINT, else defaultHubEndpoint. */
  endpoint?: string;
  /** Never reach the network (HF_HUB_OFFLINE=1). */
  offline?: boolean;
  /** A line for each file as it starts downloading. */
  log?: (line: string) => void;
  /** Only the config and tokenizer (to plan, or to check a pair), not the weights. */
  metadataOnly?: boolean;
  fetch?: typeof fetch;
}

/** The environment's Hugging Face settings, as huggingface_hub reads them. */
export function hubSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): HubCacheOptions {
  const offline = env.HF_HUB_OFFLINE;
  return {
    endpoint: env.HF_ENDPOINT,
    offline: offline !== undefined && ['1', 'true', 'yes', 'on'].includes(offline.toLowerCase()),
  };
}

/**
 * The snapshot folder holding `id`'s config, tokenizer and weights, downloading what the
 * cache lacks. Refuses a config that is not a Qwen3 causal LM, or missing tokenizer files,
 * before fetching any weights.
 */
export async function hubModelFolder(id: HubModelId, options: HubCacheOptions = {}): Promise<string> {
  const cacheDir = options.cacheDir ?? getHFHubCachePath();
  const storage = join(cacheDir, `models--${id.repo.replace('/', '--')}`);
  if (options.offline) return cachedSnapshot(id, storage, options.metadataOnly);
  const hubUrl = (options.endpoint ?? defaultHubEndpoint).replace(/\/+$/, '');
  const [owner, name] = id.repo.split('/');
  let info: { sha?: string; filePaths?: string[] };
  try {
    info = await modelInfo({
      name: `${owner}/${name}`,
      revision: id.revision,
      hubUrl,
      additionalFields: ['sha', 'filePaths'],
      fetch: options.fetch,
    });
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new HubModelError(`${id.repo}@${id.revision}: not found on ${hubUrl} (${why})`);
  }
  const commit = info.sha;
  if (commit === undefined) throw new HubModelError(`${id.repo}@${id.revision}: ${hubUrl} gave no commit`);
  if (commit !== id.revision) {
    mkdirSync(join(storage, 'refs', dirname(id.revision)), { recursive: true });
    writeFileSync(join(storage, 'refs', id.revision), commit);
  }
  const present = new Set(info.filePaths ?? []);
  const missing = modelMetadataFiles.filter((f) => !present.has(f));
  if (missing.length > 0)
    throw new HubModelError(
      `${id.repo}@${id.revision}: the repository has no ${missing.join(', ')}; a model folder needs its config and tokenizer files`,
    );
  const get = async (path: string) => {
    options.log?.(`${id.repo}: ${path}`);
    return downloadFileToCacheDir({ repo: id.repo, path, revision: commit, hubUrl, cacheDir, fetch: options.fetch });
  };
  for (const file of modelMetadataFiles) await get(file);
  for (const file of optionalMetadataFiles) if (present.has(file)) await get(file);
  const snapshot = join(storage, 'snapshots', commit);
  // Checked before any weights are fetched.
  const configPath = `${id.repo}/config.json`;
  parseQwen3Config(parseJsonFile(readFileSync(join(snapshot, 'config.json'), 'utf8'), configPath), configPath);
  if (options.metadataOnly) return snapshot;
  // The weights: the shards model.safetensors.index.json names, or one model.safetensors.
  if (present.has('model.safetensors.index.json')) {
    await get('model.safetensors.index.json');
    const index = readFileSync(join(snapshot, 'model.safetensors.index.json'), 'utf8');
    for (const shard of shardsOfIndex(index, `${id.repo}/model.safetensors.index.json`)) await get(shard);
  } else if (present.has('model.safetensors')) await get('model.safetensors');
  else throw new HubModelError(`${id.repo}@${id.revision}: no model.safetensors or model.safetensors.index.json`);
  return snapshot;
}

/** The cached snapshot of `id`, complete, without the network. */
function cachedSnapshot(id: HubModelId, storage: string, metadataOnly = false): string {
  const ref = join(storage, 'refs', id.revision);
  const commit = existsSync(ref) ? readFileSync(ref, 'utf8').trim() : id.revision;
  const snapshot = join(storage, 'snapshots', commit);
  const needed = [...modelMetadataFiles, ...(metadataOnly ? [] : cachedWeightFiles(snapshot))];
  const missing = needed.filter((f) => !existsSync(join(snapshot, f)));
  if (!existsSync(snapshot) || missing.length > 0)
    throw new HubModelError(
      `${id.repo}@${id.revision} is not in the cache (${storage})${missing.length > 0 ? `: missing ${missing.join(', ')}` : ''}, and HF_HUB_OFFLINE is set; download it once without HF_HUB_OFFLINE`,
    );
  return snapshot;
}

function cachedWeightFiles(snapshot: string): string[] {
  const index = join(snapshot, 'model.safetensors.index.json');
  if (!existsSync(index)) return ['model.safetensors'];
  return ['model.safetensors.index.json', ...shardsOfIndex(readFileSync(index, 'utf8'))];
}
