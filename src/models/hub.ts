/**
 * Downloading model files from the Hugging Face Hub (or any server laid out like it:
 * /{repo}/resolve/{revision}/{file}) with progress, cancellation and resume. Where the
 * bytes go is a DownloadTarget: a folder in Node, the origin-private file system in a
 * browser, memory in tests.
 */

export const defaultHubEndpoint = 'https://huggingface.co';

export interface HubModelId {
  repo: string;
  revision: string;
}

/** `owner/name` or `owner/name@revision`; undefined for anything else (a path). */
export function parseHubModelId(spec: string): HubModelId | undefined {
  const match = /^([A-Za-z0-9][\w.-]*\/[\w.-]+)(?:@([\w./-]+))?$/.exec(spec);
  if (match === null) return undefined;
  return { repo: match[1], revision: match[2] ?? 'main' };
}

export interface HubFile {
  /** e.g. 'Qwen/Qwen3-0.6B' */
  repo: string;
  /** e.g. 'model.safetensors' or 'onnx/model.onnx' */
  path: string;
  /** Branch, tag or commit; default 'main'. */
  revision?: string;
  /** Default https://huggingface.co; tests point it at a local server. */
  endpoint?: string;
}

export function hubFileUrl(file: HubFile): string {
  const endpoint = (file.endpoint ?? defaultHubEndpoint).replace(/\/+$/, '');
  const path = file.path.split('/').map(encodeURIComponent).join('/');
  return `${endpoint}/${file.repo}/resolve/${encodeURIComponent(file.revision ?? 'main')}/${path}`;
}

export interface DownloadProgress {
  url: string;
  /** Bytes stored so far, including any resumed from an earlier attempt. */
  loaded: number;
  /** Total size when the server says it. */
  total: number | undefined;
  /** Average rate of this attempt. */
  bytesPerSecond: number;
  /** Estimated time left, when the total is known and bytes are flowing. */
  secondsLeft: number | undefined;
}

/** Where a download's bytes are stored, so an interrupted download can resume. */
export interface DownloadTarget {
  /** Bytes already stored by an earlier attempt (0 when none). */
  storedBytes(): Promise<number>;
  append(chunk: Uint8Array): Promise<void>;
  /** Drops stored bytes: the server ignored the Range request, so the download starts over. */
  truncate(): Promise<void>;
  /** Marks the file complete. */
  complete(): Promise<void>;
  /** Lets go of the file after a failed attempt, so a later one can open it again. */
  release?(): Promise<void>;
  /** Removes what was stored: the file does not exist upstream, so nothing is unfinished. */
  discard?(): Promise<void>;
}

export class DownloadError extends Error {
  override name = 'DownloadError';
}

/** A model on the Hub that cannot be used: not found, not a Qwen3 causal LM, files missing. */
export class HubModelError extends Error {
  override name = 'HubModelError';
}

/** The files of a model folder the engine and the chat format read, besides the weights. */
export const modelMetadataFiles = ['config.json', 'tokenizer.json', 'tokenizer_config.json'] as const;
/** Fetched when the repository has it (Qwen3's sampling defaults). */
export const optionalMetadataFiles = ['generation_config.json'] as const;

/** A fetch the page's Content-Security-Policy refused (its connect-src lacks the server's origin). */
export class BlockedByPolicyError extends DownloadError {
  override name = 'BlockedByPolicyError';
}

// A fetch the policy blocks fails with a bare TypeError ("Failed to fetch"); only this event, fired in
// the realm that fetched (the engine's worker), says why.
const policyBlocks: string[] = [];
const hearsPolicy = typeof globalThis.addEventListener === 'function';
if (hearsPolicy)
  globalThis.addEventListener('securitypolicyviolation', (event) => {
    if (event.effectiveDirective === 'connect-src') policyBlocks.push(event.blockedURI);
  });

/** Why a fetch of `url` failed before any response, `seen` being the number of blocks recorded before it started. */
async function fetchFailure(url: string, err: unknown, seen: number): Promise<Error> {
  // The violation event is a task of its own, which may run after the fetch has rejected (later on a busy thread).
  for (const ms of hearsPolicy ? [0, 50, 250, 1000] : []) {
    await new Promise((resolve) => setTimeout(resolve, ms));
    const blocked = policyBlocks[seen];
    if (blocked === undefined) continue;
    let where = blocked;
    try {
      where = new URL(blocked).origin;
    } catch {}
    return new BlockedByPolicyError(
      `${url} was not fetched: the page's Content-Security-Policy does not allow connecting to ${where}. ` +
        'The app connects only to its own origin and huggingface.co with its download hosts; for another Hub ' +
        'address, build it with VITE_HF_ENDPOINT set to that address (and VITE_CONNECT_SRC to the hosts it ' +
        'redirects downloads to): see docs/deploying.md',
    );
  }
  const reason = err instanceof Error ? err.message : String(err);
  return new DownloadError(
    `${url} could not be fetched (${reason}): the server is unreachable or does not allow cross-origin requests`,
  );
}

export interface DownloadOptions {
  onProgress?: (progress: DownloadProgress) => void;
  signal?: AbortSignal;
  fetch?: typeof fetch;
}

/** Downloads `url` into `target`, resuming after the bytes it already holds. */
export async function download(url: string, target: DownloadTarget, options: DownloadOptions = {}): Promise<void> {
  const fetchFn = options.fetch ?? fetch;
  let stored = await target.storedBytes();
  const seen = policyBlocks.length;
  let response: Response;
  try {
    response = await fetchFn(url, { headers: stored > 0 ? { range: `bytes=${stored}-` } : {}, signal: options.signal });
  } catch (err) {
    // A network error rejects with a TypeError; a cancel (AbortError) passes as it is.
    if (!(err instanceof TypeError) || options.signal?.aborted) throw err;
    throw await fetchFailure(url, err, seen);
  }
  if (response.status === 416 && stored > 0) {
    // Everything was stored already.
    await target.complete();
    return;
  }
  if (response.status === 404)
    throw new DownloadError(`${url} was not found (404): check the repository, revision and file name`);
  if (response.status === 401 || response.status === 403)
    throw new DownloadError(`${url} needs access rights (${response.status}): the repository may be gated or private`);
  if (!response.ok || response.body === null)
    throw new DownloadError(`${url} failed: HTTP ${response.status} ${response.statusText}`);
  if (stored > 0 && response.status !== 206) {
    await target.truncate();
    stored = 0;
  }
  const length = Number(response.headers.get('content-length') ?? NaN);
  const total = Number.isFinite(length) ? stored + length : undefined;
  const started = performance.now();
  let received = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    try {
      await target.append(value);
    } catch (err) {
      // The bytes will not be kept (a full disk): stop the transfer rather than let it run on unread.
      await reader.cancel().catch(() => undefined);
      throw err;
    }
    received += value.byteLength;
    const seconds = Math.max((performance.now() - started) / 1000, 1e-3);
    const rate = received / seconds;
    const loaded = stored + received;
    options.onProgress?.({
      url,
      loaded,
      total,
      bytesPerSecond: rate,
      secondsLeft: total !== undefined && rate > 0 ? (total - loaded) / rate : undefined,
    });
  }
  if (total !== undefined && stored + received !== total) {
    throw new DownloadError(`${url} ended after ${stored + received} of ${total} bytes; download again to resume`);
  }
  await target.complete();
}

/** Keeps the bytes in memory: for tests and small files. */
export class MemoryTarget implements DownloadTarget {
  private chunks: Uint8Array[] = [];
  done = false;

  async storedBytes(): Promise<number> {
    return this.chunks.reduce((n, c) => n + c.byteLength, 0);
  }
  async append(chunk: Uint8Array): Promise<void> {
    this.chunks.push(chunk.slice());
  }
  async truncate(): Promise<void> {
    this.chunks = [];
  }
  async complete(): Promise<void> {
    this.done = true;
  }
  bytes(): Uint8Array<ArrayBuffer> {
    const out = new Uint8Array(this.chunks.reduce((n, c) => n + c.byteLength, 0));
    let offset = 0;
    for (const c of this.chunks) {
      out.set(c, offset);
      offset += c.byteLength;
    }
    return out;
  }
}
