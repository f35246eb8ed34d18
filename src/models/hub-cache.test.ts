import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHubServer } from '../../tests/support/hub-server';
import { CpuBackend } from '../engine/cpu/backend';
import { loadQwen3 } from '../engine/load';
import { folderFiles } from '../engine/node-files';
import { parseHubModelId } from './hub';
import { hubModelFolder, hubSettingsFromEnv } from './hub-cache';
import { writeRandomQwen3Folder } from './testing/random-qwen3';

const root = mkdtempSync(join(tmpdir(), 'sodp-hub-cache-'));
/** The real vocabulary and tokenizer, tiny other dimensions, bf16 in two shards. */
const small = { hiddenSize: 16, intermediateSize: 32, numHeads: 2, numKvHeads: 1, headDim: 8 };
let hub: Awaited<ReturnType<typeof startHubServer>>;

beforeAll(async () => {
  writeRandomQwen3Folder(join(root, 'repos/qwen3-small'), { size: '0.6B', layers: 1, dims: small });
  writeRandomQwen3Folder(join(root, 'repos/llama'), {
    size: '0.6B',
    layers: 1,
    dims: small,
    configOverrides: { architectures: ['LlamaForCausalLM'], model_type: 'llama' },
  });
  const noTokenizer = writeRandomQwen3Folder(join(root, 'repos/no-tokenizer'), {
    size: '0.6B',
    layers: 1,
    dims: small,
  });
  rmSync(join(noTokenizer, 'tokenizer.json'));
  hub = await startHubServer({
    'test-org/qwen3-small': join(root, 'repos/qwen3-small'),
    'test-org/llama': join(root, 'repos/llama'),
    'test-org/no-tokenizer': noTokenizer,
  });
}, 60_000);
afterAll(() => {
  hub.server.close();
  rmSync(root, { recursive: true, force: true });
});

describe('parseHubModelId', () => {
  it('reads owner/name with an optional revision and leaves paths alone', () => {
    expect(parseHubModelId('Qwen/Qwen3-0.6B')).toEqual({ repo: 'Qwen/Qwen3-0.6B', revision: 'main' });
    expect(parseHubModelId('youngzhong/SOD-1.7B@v1.0')).toEqual({ repo: 'youngzhong/SOD-1.7B', revision: 'v1.0' });
    expect(parseHubModelId('./models/student')).toBeUndefined();
    expect(parseHubModelId('/abs/path')).toBeUndefined();
    expect(parseHubModelId('models/a/b')).toBeUndefined();
  });
});

describe('hubSettingsFromEnv', () => {
  it('follows HF_ENDPOINT and HF_HUB_OFFLINE', () => {
    expect(hubSettingsFromEnv({ HF_ENDPOINT: 'http://mirror', HF_HUB_OFFLINE: '1' })).toEqual({
      endpoint: 'http://mirror',
      offline: true,
    });
    expect(hubSettingsFromEnv({}).offline).toBe(false);
  });
});

describe('hubModelFolder', () => {
  it('downloads a sharded model into the Hugging Face cache layout, then loads it again offline', async () => {
    const cacheDir = join(root, 'cache-1');
    const id = { repo: 'test-org/qwen3-small', revision: 'main' };
    const folder = await hubModelFolder(id, { cacheDir, endpoint: hub.url });
    const commit = hub.commitOf(id.repo);
    const storage = join(cacheDir, 'models--test-org--qwen3-small');
    expect(folder).toBe(join(storage, 'snapshots', commit));
    expect(readFileSync(join(storage, 'refs/main'), 'utf8')).toBe(commit);
    for (const file of [
      'config.json',
      'tokenizer.json',
      'model.safetensors.index.json',
      'model-00002-of-00002.safetensors',
    ])
      expect(realpathSync(join(folder, file)).startsWith(join(storage, 'blobs'))).toBe(true);
    const model = await loadQwen3(new CpuBackend(), folderFiles(folder));
    expect(model.config.vocabSize).toBe(151936);

    // The weights are fetched once: a second resolve asks only for metadata.
    const before = hub.requests.length;
    await hubModelFolder(id, { cacheDir, endpoint: hub.url });
    expect(
      hub.requests.slice(before).filter((r) => r.includes('.safetensors') && r.startsWith('GET /test-org')),
    ).toEqual([]);
    // Offline, the cache answers without the server.
    const offline = await hubModelFolder(id, { cacheDir, endpoint: 'http://127.0.0.1:9', offline: true });
    expect(offline).toBe(folder);
  });

  it('says what is wrong: an unknown repository, another architecture, missing tokenizer files, an empty cache offline', async () => {
    const cacheDir = join(root, 'cache-2');
    const options = { cacheDir, endpoint: hub.url };
    await expect(hubModelFolder({ repo: 'test-org/missing', revision: 'main' }, options)).rejects.toThrow(
      /test-org\/missing@main: not found/,
    );
    await expect(hubModelFolder({ repo: 'test-org/qwen3-small', revision: 'v9' }, options)).rejects.toThrow(
      /qwen3-small@v9: not found/,
    );
    const before = hub.requests.length;
    await expect(hubModelFolder({ repo: 'test-org/llama', revision: 'main' }, options)).rejects.toThrow(
      /LlamaForCausalLM is not Qwen3ForCausalLM/,
    );
    // Refused before any weights were fetched.
    expect(hub.requests.slice(before).some((r) => r.includes('safetensors'))).toBe(false);
    await expect(hubModelFolder({ repo: 'test-org/no-tokenizer', revision: 'main' }, options)).rejects.toThrow(
      /has no tokenizer\.json/,
    );
    await expect(
      hubModelFolder({ repo: 'test-org/qwen3-small', revision: 'main' }, { ...options, offline: true }),
    ).rejects.toThrow(/is not in the cache .*HF_HUB_OFFLINE/);
    expect(existsSync(join(cacheDir, 'models--test-org--qwen3-small', 'snapshots'))).toBe(false);
  });
});
