import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHubServer } from '../../tests/support/hub-server';
import { CpuBackend } from '../engine/cpu/backend';
import { loadQwen3 } from '../engine/load';
import { fetchHubModel, MemoryFileStore, type ModelDownloadProgress } from './hub-model';
import { writeRandomQwen3Folder } from './testing/random-qwen3';

const root = mkdtempSync(join(tmpdir(), 'sodp-hub-model-'));
const small = { hiddenSize: 16, intermediateSize: 32, numHeads: 2, numKvHeads: 1, headDim: 8 };
const repo = (name: string) => join(root, 'repos', name);
const servers: Awaited<ReturnType<typeof startHubServer>>[] = [];
const serve = async (options = {}) => {
  const hub = await startHubServer(
    {
      'test-org/qwen3-small': repo('qwen3-small'),
      'test-org/llama': repo('llama'),
      'test-org/no-tokenizer': repo('no-tokenizer'),
    },
    options,
  );
  servers.push(hub);
  return hub;
};
const source = (endpoint: string, name = 'qwen3-small') => ({ repo: `test-org/${name}`, revision: 'main', endpoint });

beforeAll(() => {
  writeRandomQwen3Folder(repo('qwen3-small'), { size: '0.6B', layers: 1, dims: small });
  writeRandomQwen3Folder(repo('llama'), {
    size: '0.6B',
    layers: 1,
    dims: small,
    configOverrides: { architectures: ['LlamaForCausalLM'], model_type: 'llama' },
  });
  rmSync(
    join(writeRandomQwen3Folder(repo('no-tokenizer'), { size: '0.6B', layers: 1, dims: small }), 'tokenizer.json'),
  );
}, 60_000);
afterAll(() => {
  for (const hub of servers) hub.server.close();
  rmSync(root, { recursive: true, force: true });
});

describe('fetchHubModel', () => {
  it('stores every file of a sharded model with progress per file and in total, and the engine loads it', async () => {
    const hub = await serve();
    const store = new MemoryFileStore();
    const seen: ModelDownloadProgress[] = [];
    const files = await fetchHubModel(source(hub.url), store, { onProgress: (p) => seen.push(p) });
    const last = seen.at(-1);
    expect(last?.files.map((f) => f.path)).toEqual([
      'config.json',
      'tokenizer.json',
      'tokenizer_config.json',
      'generation_config.json',
      'model.safetensors.index.json',
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
    ]);
    expect(last?.files.every((f) => f.done)).toBe(true);
    const shard = statSync(join(repo('qwen3-small'), 'model-00001-of-00002.safetensors')).size;
    expect(last?.files.find((f) => f.path === 'model-00001-of-00002.safetensors')?.total).toBe(shard);
    expect(last?.loaded).toBe(last?.total);
    expect(seen.every((p, i) => i === 0 || p.loaded >= seen[i - 1].loaded)).toBe(true);
    const model = await loadQwen3(new CpuBackend(), files);
    expect(model.config.vocabSize).toBe(151936);

    // Everything stored: a second fetch asks the server nothing.
    const before = hub.requests.length;
    await fetchHubModel(source('http://127.0.0.1:9'), store);
    expect(hub.requests.length).toBe(before);
  });

  it('resumes a dropped download with a Range request, keeping the files already complete', async () => {
    const flaky = await serve({ failAfterBytes: 1_000_000 });
    const store = new MemoryFileStore();
    await expect(fetchHubModel(source(flaky.url), store)).rejects.toThrow();
    const resumed: ModelDownloadProgress[] = [];
    await fetchHubModel(source(flaky.url), store, { onProgress: (p) => resumed.push(p) });
    // The file cut off (the tokenizer, the first over 1 MB) goes on from where it stopped.
    expect(flaky.requests.filter((r) => r.endsWith(' bytes=1000000-'))).toEqual([
      'GET /test-org/qwen3-small/resolve/main/tokenizer.json bytes=1000000-',
    ]);
    expect(flaky.requests.filter((r) => r.endsWith('/config.json')).length).toBe(1);
    // Its progress goes on from the bytes stored, never back through 0.
    const tokenizer = resumed.flatMap((p) => p.files.filter((f) => f.path === 'tokenizer.json'));
    expect(tokenizer.every((f) => f.loaded >= 1_000_000)).toBe(true);
    expect(resumed.at(-1)?.loaded).toBe(resumed.at(-1)?.total);
  });

  it('stops when cancelled and finishes later', async () => {
    const hub = await serve();
    const store = new MemoryFileStore();
    const controller = new AbortController();
    await expect(
      fetchHubModel(source(hub.url), store, {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.loaded > 2_000_000) controller.abort();
        },
      }),
    ).rejects.toThrow();
    expect(await store.has('model-00002-of-00002.safetensors')).toBe(false);
    await fetchHubModel(source(hub.url), store);
    expect(await store.has('model-00002-of-00002.safetensors')).toBe(true);
  });

  it('says what is wrong before fetching weights: no such repository, another architecture, no tokenizer', async () => {
    const hub = await serve();
    await expect(fetchHubModel(source(hub.url, 'missing'), new MemoryFileStore())).rejects.toThrow(
      /test-org\/missing@main: the repository has no config\.json/,
    );
    const before = hub.requests.length;
    await expect(fetchHubModel(source(hub.url, 'llama'), new MemoryFileStore())).rejects.toThrow(
      /LlamaForCausalLM is not Qwen3ForCausalLM/,
    );
    expect(hub.requests.slice(before).some((r) => r.includes('safetensors'))).toBe(false);
    await expect(fetchHubModel(source(hub.url, 'no-tokenizer'), new MemoryFileStore())).rejects.toThrow(
      /has no tokenizer\.json/,
    );
  });
});
