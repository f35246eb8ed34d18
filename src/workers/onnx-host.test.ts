import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localClient } from '../core/rpc/rpc';
import { folderFiles } from '../engine/node-files';
import { MemoryFileStore } from '../models/hub-model';
import { startHubServer } from '../../tests/support/hub-server';
import { writeTinyOnnxRepo } from '../../tests/support/tiny-onnx-model';
import type { WorkerEnvironment } from './engine-host';
import type { LoadProgress } from './protocols';
import { teacherHandlers } from './teacher-handlers';

/**
 * The ONNX teacher (transformers.js on onnxruntime-node, the CPU) against the engine's teacher
 * on the same weights: the tiny repository has both model.safetensors and their ONNX export.
 */
describe('the ONNX teacher in the teacher worker', () => {
  let hub: Awaited<ReturnType<typeof startHubServer>>;
  let dir: string;
  const store = new MemoryFileStore();
  const env: WorkerEnvironment = {
    gpu: () => undefined,
    modelFiles: (source) => folderFiles(source.url),
    onnx: { store: async () => store, devices: ['cpu'] },
  };
  const onnx = localClient(teacherHandlers(env));
  const engine = localClient(teacherHandlers(env));
  // A prompt and a response long enough to span several of the ONNX teacher's 32-token chunks.
  let seed = 7;
  const random = (n: number, vocab: number) =>
    Array.from({ length: n }, () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % vocab;
    });

  beforeAll(async () => {
    dir = await writeTinyOnnxRepo('tiny-teacher', 2);
    hub = await startHubServer({ 'test-org/tiny-teacher-onnx': dir });
  });
  afterAll(() => hub.server.close());

  const source = () => ({
    url: '',
    name: 'test-org/tiny-teacher-onnx',
    hub: { repo: 'test-org/tiny-teacher-onnx', revision: 'main', endpoint: hub.url },
  });

  it('downloads through the page store, then scores and lists alternatives as the engine does', async () => {
    const phases: LoadProgress[] = [];
    const loaded = await onnx.call(
      'load',
      { source: source(), backend: 'cpu', runtime: { kind: 'onnx', dtype: 'fp32' } },
      { onProgress: (p) => phases.push(p) },
    );
    expect(loaded.onnx).toEqual({ dtype: 'fp32', device: 'cpu' });
    expect(loaded.fallback).toBeUndefined();
    expect(loaded.plan).toBeUndefined();
    expect(await store.has('onnx/model.onnx')).toBe(true);
    // The page's downloader reported each file; then transformers.js read them and made its session.
    const downloaded = phases
      .filter((p) => p.phase === 'download')
      .at(-1)
      ?.files?.map((f) => f.path);
    expect(downloaded).toEqual(expect.arrayContaining(['config.json', 'tokenizer.json', 'onnx/model.onnx']));
    expect(phases.some((p) => p.phase === 'read' && p.files?.some((f) => f.path === 'onnx/model.onnx'))).toBe(true);
    expect(phases.at(-1)?.phase).toBe('session');

    const engineLoaded = await engine.call('load', { source: { url: `${dir}/`, name: 'engine' }, backend: 'cpu' });
    expect(engineLoaded.vocabulary.fingerprint).toBe(loaded.vocabulary.fingerprint);
    const vocab = loaded.vocabSize;
    const promptIds = random(21, vocab);
    const responseIds = random(50, vocab);
    const [got, want] = await Promise.all([
      onnx.call('score', { promptIds, responseIds }),
      engine.call('score', { promptIds, responseIds }),
    ]);
    expect(got).toHaveLength(responseIds.length);
    for (let t = 0; t < want.length; t++) expect(Math.abs(got[t] - want[t])).toBeLessThan(1e-4);

    const [alts, engineAlts] = await Promise.all([
      onnx.call('alternatives', { promptIds, responseIds, k: 5 }),
      engine.call('alternatives', { promptIds, responseIds, k: 5 }),
    ]);
    expect(alts).toHaveLength(responseIds.length);
    for (let t = 0; t < responseIds.length; t++) {
      expect(alts[t]).toHaveLength(5);
      // The same tokens in the same order where their log-probs are apart; ties may swap.
      for (let j = 0; j < 5; j++) expect(Math.abs(alts[t][j][1] - engineAlts[t][j][1])).toBeLessThan(1e-4);
      const ids = (list: [number, number][]) => list.map(([id]) => id).sort((a, b) => a - b);
      expect(ids(alts[t])).toEqual(ids(engineAlts[t]));
    }
  }, 60_000);

  it('loads again from the store without downloading', async () => {
    const before = hub.requests.length;
    await onnx.call('load', { source: source(), backend: 'cpu', runtime: { kind: 'onnx', dtype: 'fp32' } });
    expect(hub.requests.slice(before)).toEqual([]);
  }, 60_000);

  it('names the ONNX files a repository has when it lacks the chosen dtype', async () => {
    await expect(
      onnx.call('load', { source: source(), backend: 'cpu', runtime: { kind: 'onnx', dtype: 'q4' } }),
    ).rejects.toThrow(/has no onnx\/model_q4\.onnx \(the q4 graph\): its ONNX files are onnx\/model\.onnx/);
  });

  it('downloads and loads a graph whose weights are in an external data file', async () => {
    const external = await writeTinyOnnxRepo('tiny-external', 2, {}, { externalData: true });
    const server = await startHubServer({ 'test-org/tiny-external': external });
    try {
      const phases: LoadProgress[] = [];
      const client = localClient(
        teacherHandlers({ ...env, onnx: { store: async () => new MemoryFileStore(), devices: ['cpu'] } }),
      );
      await client.call(
        'load',
        {
          source: {
            url: '',
            name: 'external',
            hub: { repo: 'test-org/tiny-external', revision: 'main', endpoint: server.url },
          },
          backend: 'cpu',
          runtime: { kind: 'onnx', dtype: 'fp32' },
        },
        { onProgress: (p) => phases.push(p) },
      );
      const files = phases.filter((p) => p.phase === 'download').at(-1)?.files ?? [];
      const data = files.find((f) => f.path === 'onnx/model.onnx_data');
      // The data file holds the weights; the graph is small without them.
      expect(data?.done).toBe(true);
      expect(data?.total ?? 0).toBeGreaterThan(5 * (files.find((f) => f.path === 'onnx/model.onnx')?.total ?? 0));
      expect(server.requests).toContain('GET /test-org/tiny-external/resolve/main/onnx/model.onnx_data');
      // The same weights as the inline export: the same scores as the engine.
      const promptIds = random(9, 300);
      const responseIds = random(40, 300);
      const [got, want] = await Promise.all([
        client.call('score', { promptIds, responseIds }),
        engine.call('score', { promptIds, responseIds }),
      ]);
      for (let t = 0; t < want.length; t++) expect(Math.abs(got[t] - want[t])).toBeLessThan(1e-4);
    } finally {
      server.server.close();
    }
  }, 60_000);

  it('falls back to the next device and says why', async () => {
    const client = localClient(
      teacherHandlers({ ...env, onnx: { store: async () => store, devices: ['wasm', 'cpu'] } }),
    );
    const loaded = await client.call('load', {
      source: source(),
      backend: 'cpu',
      runtime: { kind: 'onnx', dtype: 'fp32' },
    });
    expect(loaded.onnx?.device).toBe('cpu');
    expect(loaded.fallback).toMatch(/^wasm failed \(.+\): the ONNX teacher runs on cpu instead$/);
  }, 60_000);

  it('runs on the CPU devices only when the CPU backend is chosen', async () => {
    const client = localClient(
      teacherHandlers({ ...env, onnx: { store: async () => store, devices: ['webgpu', 'cpu'] } }),
    );
    const loaded = await client.call('load', {
      source: source(),
      backend: 'cpu',
      runtime: { kind: 'onnx', dtype: 'fp32' },
    });
    // WebGPU was not tried, so nothing fell back.
    expect(loaded.onnx?.device).toBe('cpu');
    expect(loaded.fallback).toBeUndefined();
  }, 60_000);

  it('says an ONNX teacher needs a Hub id', async () => {
    await expect(
      onnx.call('load', {
        source: { url: `${dir}/`, name: 'folder' },
        backend: 'cpu',
        runtime: { kind: 'onnx', dtype: 'fp32' },
      }),
    ).rejects.toThrow(/comes from the Hub/);
  });
});
