/**
 * The browser's storage ran out while a model file was being written into the page's cache.
 * The DOMException a write throws says only "QuotaExceededError"; this error says which model
 * and file, how much more was needed against what the browser reports free, that what was
 * downloaded is kept, and what to do.
 */
import { formatBytes } from '../core/format-bytes';

/** What the browser reports of its storage (navigator.storage.estimate()). */
export interface StorageEstimateReport {
  usage?: number;
  quota?: number;
}

export interface StorageFullDetails {
  /** e.g. 'Qwen/Qwen3-4B@main' */
  model: string;
  /** The file being written, as the repository names it. */
  file: string;
  /** Bytes of `file` stored when the write failed: kept, so the download resumes from them. */
  storedBytes: number;
  /** Bytes the file still needed, when its size was known. */
  neededBytes: number | undefined;
  /** Quota minus usage, when the browser says. */
  freeBytes: number | undefined;
}

export class StorageFullError extends Error {
  override name = 'StorageFullError';

  constructor(readonly details: StorageFullDetails) {
    super(storageFullMessage(details));
  }
}

/** Whether `err` is the browser refusing a write for lack of space (the name is the same in every engine since Firefox 76). */
export function isQuotaError(err: unknown): boolean {
  return (
    typeof err === 'object' &&
    err !== null &&
    'name' in err &&
    (err.name === 'QuotaExceededError' || err.name === 'NS_ERROR_DOM_QUOTA_REACHED')
  );
}

/** Free bytes by the browser's estimate, or undefined when it gives none (or fails). */
export async function freeStorageBytes(estimate: () => Promise<StorageEstimateReport>): Promise<number | undefined> {
  try {
    const { usage, quota } = await estimate();
    return usage === undefined || quota === undefined ? undefined : Math.max(0, quota - usage);
  } catch {
    return undefined;
  }
}

/** The browser's own estimate where there is one (pages and workers alike). */
export function browserStorageEstimate(): (() => Promise<StorageEstimateReport>) | undefined {
  const storage = globalThis.navigator?.storage;
  return typeof storage?.estimate === 'function' ? () => storage.estimate() : undefined;
}

function storageFullMessage(d: StorageFullDetails): string {
  const needed = d.neededBytes === undefined ? 'more space' : `${formatBytes(d.neededBytes)} more`;
  const free =
    d.freeBytes === undefined ? '' : `, and the browser reports ${formatBytes(d.freeBytes)} free for this site`;
  const kept =
    d.storedBytes > 0
      ? ` The ${formatBytes(d.storedBytes)} of ${d.file} already downloaded are kept: loading again resumes from there.`
      : '';
  return (
    `This browser's storage is full: caching ${d.model} stopped at ${d.file}, which needs ${needed}${free}.${kept}` +
    ' Delete cached models under "Models in this browser", or let the site keep its storage (persistent storage) or free disk space, then load again.'
  );
}
