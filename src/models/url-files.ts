import type { ModelFiles } from '../engine/load';
import { download, DownloadError, MemoryTarget } from './hub';

export interface UrlFilesProgress {
  /** Bytes fetched so far over every file. */
  loaded: number;
  /** Bytes expected so far (files finished plus the current file's size, when known). */
  total: number;
}

/**
 * A model folder served over HTTP (the app's own /models/…, a local Hub mirror, the Hub):
 * `${baseUrl}${path}`. Weights are fetched whole, with byte progress.
 */
export function urlFiles(
  baseUrl: string,
  options: { onProgress?: (p: UrlFilesProgress) => void; signal?: AbortSignal } = {},
): ModelFiles {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  let finished = 0;
  const get = async (path: string): Promise<Response | undefined> => {
    const response = await fetch(base + path, { signal: options.signal });
    // A dev server answers unknown paths with its index page; that is not the file.
    if (
      response.status === 404 ||
      (response.ok && !path.endsWith('.html') && (response.headers.get('content-type') ?? '').startsWith('text/html'))
    )
      return undefined;
    if (!response.ok) throw new DownloadError(`${base + path} failed: HTTP ${response.status} ${response.statusText}`);
    return response;
  };
  return {
    name: base,
    async exists(path) {
      const response = await get(path);
      await response?.body?.cancel();
      return response !== undefined;
    },
    async text(path) {
      const response = await get(path);
      if (response === undefined) throw new DownloadError(`${base + path} was not found`);
      return response.text();
    },
    async blob(path) {
      const target = new MemoryTarget();
      await download(base + path, target, {
        signal: options.signal,
        onProgress: (p) =>
          options.onProgress?.({ loaded: finished + p.loaded, total: finished + (p.total ?? p.loaded) }),
      });
      const bytes = target.bytes();
      finished += bytes.byteLength;
      return new Blob([bytes]);
    },
  };
}
