import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeOpfs } from '../../tests/support/fake-opfs';
import { startHubServer } from '../../tests/support/hub-server';
import { fetchHubModel } from './hub-model';
import { listCachedModels, opfsModelStore } from './opfs-store';
import { StorageFullError } from './storage-full';
import { writeRandomQwen3Folder } from './testing/random-qwen3';

const root = mkdtempSync(join(tmpdir(), 'sodp-opfs-'));
const folder = join(root, 'qwen3-small');
const small = { hiddenSize: 16, intermediateSize: 32, numHeads: 2, numKvHeads: 1, headDim: 8 };
const repo = 'test-org/qwen3-small';
const cached = 'hub/models--test-org--qwen3-small/main/';
const shard = 'model-00001-of-00002.safetensors';
const metadata = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json'];
const other = {
  'hub/models--other-org--kept/main/config.json': Uint8Array.from([1, 2, 3]),
  'hub/models--other-org--kept/main/model.safetensors': Uint8Array.from({ length: 5000 }, (_, i) => i % 253),
};
const original = (file: string) => new Uint8Array(readFileSync(join(folder, file)));
const same = (a: Uint8Array | undefined, b: Uint8Array) => a !== undefined && Buffer.from(a).equals(Buffer.from(b));
let hub: Awaited<ReturnType<typeof startHubServer>>;

/** A file system holding another model already, with `room` bytes free besides it. */
async function withOtherModel(room: number): Promise<FakeOpfs> {
  const fs = new FakeOpfs();
  for (const [path, bytes] of Object.entries(other)) await fs.put(path, bytes);
  fs.capacity = fs.storedBytes() + room;
  return fs;
}

/** The fetch that must fail: its error. */
async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable('the download should have failed'),
    (err: unknown) => err,
  );
}

beforeAll(async () => {
  writeRandomQwen3Folder(folder, { size: '0.6B', layers: 1, dims: small });
  hub = await startHubServer({ [repo]: folder });
}, 60_000);
afterAll(() => {
  hub.server.close();
  rmSync(root, { recursive: true, force: true });
});

describe('a full disk while a Hub model is cached in the origin-private file system', () => {
  it('says which model and file, what was needed and free, keeps the partial file and resumes from it with Range', async () => {
    const source = { repo, revision: 'main', endpoint: hub.url };
    const metadataBytes = metadata.reduce((n, f) => n + original(f).byteLength, 0);
    const indexBytes = original('model.safetensors.index.json').byteLength;
    const shardBytes = original(shard).byteLength;
    // Room for the metadata, the index and part of the first shard.
    const fs = await withOtherModel(metadataBytes + indexBytes + Math.floor(shardBytes / 2));
    const store = await opfsModelStore(source, fs.root);

    const err = await failure(fetchHubModel(source, store, { estimate: fs.estimate }));
    expect(err).toBeInstanceOf(StorageFullError);
    if (!(err instanceof StorageFullError)) return;
    expect(err.name).toBe('StorageFullError');
    expect(err.message).toMatch(
      new RegExp(`storage is full: caching test-org/qwen3-small@main stopped at ${shard}, which needs .+ more`),
    );
    expect(err.message).toMatch(/Delete cached models under "Models in this browser"/);
    const partial = fs.files().get(`${cached}${shard}.incomplete`);
    expect(partial?.byteLength).toBe(err.details.storedBytes);
    expect(err.details.storedBytes).toBeGreaterThan(0);
    expect(err.details.neededBytes).toBe(shardBytes - err.details.storedBytes);
    expect(err.details.freeBytes).toBe(fs.capacity - fs.storedBytes());
    // What was written is the file's beginning, the rest not begun, and the other model as it was.
    expect(same(partial, original(shard).subarray(0, err.details.storedBytes))).toBe(true);
    expect(fs.files().has(`${cached}${shard}`)).toBe(false);
    for (const file of metadata) expect(same(fs.files().get(cached + file), original(file))).toBe(true);
    for (const [path, bytes] of Object.entries(other)) expect(same(fs.files().get(path), bytes)).toBe(true);
    expect(await listCachedModels(fs.root)).toMatchObject([
      { repo: 'other-org/kept', partial: false, bytes: 5003 },
      { repo, partial: true },
    ]);

    // Space again: the shard goes on from the bytes kept, nothing complete is fetched again.
    fs.capacity = Number.POSITIVE_INFINITY;
    const before = hub.requests.length;
    await fetchHubModel(source, store, { estimate: fs.estimate });
    const requests = hub.requests.slice(before);
    expect(requests).toContain(`GET /${repo}/resolve/main/${shard} bytes=${err.details.storedBytes}-`);
    expect(requests.some((r) => metadata.some((f) => r.endsWith(`/${f}`)))).toBe(false);
    const files = fs.files();
    for (const file of [...metadata, 'model.safetensors.index.json', shard, 'model-00002-of-00002.safetensors'])
      expect(same(files.get(cached + file), original(file))).toBe(true);
    expect([...files.keys()].some((p) => p.endsWith('.incomplete'))).toBe(false);
    for (const [path, bytes] of Object.entries(other)) expect(same(files.get(path), bytes)).toBe(true);
  });

  it('where a file is moved into place by copying it, leaves no half copy behind and completes later', async () => {
    const source = { repo, revision: 'main', endpoint: hub.url };
    const config = original('config.json');
    // Room for config.json once (its .incomplete file), not for the copy beside it.
    const fs = await withOtherModel(config.byteLength + 10);
    fs.noMove = true;
    const store = await opfsModelStore(source, fs.root);
    const err = await failure(fetchHubModel(source, store, { estimate: fs.estimate }));
    expect(err).toBeInstanceOf(StorageFullError);
    expect(err instanceof StorageFullError && err.details).toMatchObject({
      file: 'config.json',
      storedBytes: config.byteLength,
      neededBytes: config.byteLength,
    });
    expect(fs.files().has(`${cached}config.json`)).toBe(false);
    expect(same(fs.files().get(`${cached}config.json.incomplete`), config)).toBe(true);

    fs.capacity = Number.POSITIVE_INFINITY;
    const before = hub.requests.length;
    await fetchHubModel(source, store);
    // Everything was stored: the server says so (416) and the file is moved into place.
    expect(hub.requests.slice(before)[0]).toBe(`GET /${repo}/resolve/main/config.json bytes=${config.byteLength}-`);
    expect(same(fs.files().get(`${cached}config.json`), config)).toBe(true);
    for (const [path, bytes] of Object.entries(other)) expect(same(fs.files().get(path), bytes)).toBe(true);
  });

  it('lists a model without the optional files (one weight file, no index) as complete', async () => {
    const single = join(root, 'qwen3-single');
    writeRandomQwen3Folder(single, { size: '0.6B', layers: 1, dims: small, shards: 1 });
    const server = await startHubServer({ 'test-org/qwen3-single': single });
    try {
      const source = { repo: 'test-org/qwen3-single', revision: 'main', endpoint: server.url };
      const fs = new FakeOpfs();
      await fetchHubModel(source, await opfsModelStore(source, fs.root));
      expect([...fs.files().keys()].filter((path) => path.endsWith('.incomplete'))).toEqual([]);
      expect(await listCachedModels(fs.root)).toMatchObject([{ repo: 'test-org/qwen3-single', partial: false }]);
    } finally {
      server.server.close();
    }
  });
});
