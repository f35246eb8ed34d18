import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Server } from 'node:http';
import { startHubServer } from '../../tests/support/hub-server';
import { download, DownloadError, hubFileUrl, MemoryTarget, type DownloadProgress } from './hub';

/** Byte equality without a slow element-by-element deep comparison. */
const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

describe('downloading from a server laid out like the Hub', () => {
  const content = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 7) % 251);
  let hub: { url: string; server: Server; requests: string[] };

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sodp-hub-'));
    writeFileSync(join(dir, 'model.safetensors'), content);
    hub = await startHubServer({ 'test-org/tiny': dir });
  });
  afterAll(() => hub.server.close());

  it('builds resolve URLs', () => {
    expect(hubFileUrl({ repo: 'Qwen/Qwen3-0.6B', path: 'onnx/model.onnx' })).toBe(
      'https://huggingface.co/Qwen/Qwen3-0.6B/resolve/main/onnx/model.onnx',
    );
    expect(hubFileUrl({ repo: 'a/b', path: 'x y.json', revision: 'v1', endpoint: 'http://127.0.0.1:9/' })).toBe(
      'http://127.0.0.1:9/a/b/resolve/v1/x%20y.json',
    );
  });

  it('names the URL when a fetch fails before any answer; a cancel stays an AbortError', async () => {
    const url = hubFileUrl({ repo: 'test-org/tiny', path: 'model.safetensors', endpoint: hub.url });
    const refused = download(url, new MemoryTarget(), {
      fetch: async () => {
        throw new TypeError('Failed to fetch');
      },
    });
    await expect(refused).rejects.toThrow(DownloadError);
    await expect(refused).rejects.toThrow(`${url} could not be fetched (Failed to fetch)`);
    const cancelled = download(url, new MemoryTarget(), { signal: AbortSignal.abort() });
    await expect(cancelled).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('downloads with progress that ends at the total', async () => {
    const target = new MemoryTarget();
    const seen: DownloadProgress[] = [];
    await download(hubFileUrl({ repo: 'test-org/tiny', path: 'model.safetensors', endpoint: hub.url }), target, {
      onProgress: (p) => seen.push(p),
    });
    expect(target.done).toBe(true);
    expect(sameBytes(target.bytes(), content)).toBe(true);
    expect(seen.at(-1)).toMatchObject({ loaded: content.length, total: content.length });
    expect(seen.every((p, i) => i === 0 || p.loaded >= seen[i - 1].loaded)).toBe(true);
  });

  it('resumes after the bytes already stored, with a Range request', async () => {
    const target = new MemoryTarget();
    await target.append(content.subarray(0, 120_000));
    await download(hubFileUrl({ repo: 'test-org/tiny', path: 'model.safetensors', endpoint: hub.url }), target);
    expect(sameBytes(target.bytes(), content)).toBe(true);
    expect(hub.requests.at(-1)).toContain('bytes=120000-');
  });

  it('stops when cancelled and can resume later', async () => {
    const target = new MemoryTarget();
    const controller = new AbortController();
    const url = hubFileUrl({ repo: 'test-org/tiny', path: 'model.safetensors', endpoint: hub.url });
    await expect(
      download(url, target, {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.loaded > 50_000) controller.abort();
        },
      }),
    ).rejects.toThrow();
    expect(target.done).toBe(false);
    await download(url, target);
    expect(sameBytes(target.bytes(), content)).toBe(true);
  });

  it('says plainly when a file is missing', async () => {
    await expect(
      download(hubFileUrl({ repo: 'test-org/tiny', path: 'nope.json', endpoint: hub.url }), new MemoryTarget()),
    ).rejects.toThrow(/not found \(404\)/);
  });
});
