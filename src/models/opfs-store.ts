/**
 * The page's model cache: the origin-private file system (OPFS), laid out like the Hugging
 * Face cache, `hub/models--{owner}--{name}/{revision}/{file}`. OPFS rather than Cache Storage
 * because a download must resume: a file is written in place as its bytes arrive (a
 * `.incomplete` file that a Range request continues, as huggingface_hub does), while Cache
 * Storage only stores whole responses; and a stored file reads back as a File, whose slices
 * load on demand, so weights go to the GPU tensor by tensor without a second full copy.
 *
 * Downloads run in the engine workers (synchronous access handles, which write straight to
 * disk); listing and deleting run anywhere. When the disk or the site's quota is full, a write
 * throws the browser's QuotaExceededError and leaves the `.incomplete` file as it was, a prefix
 * of the file that the next attempt resumes from (fetchHubModel turns the error into a
 * StorageFullError).
 */
import type { DownloadTarget } from './hub';
import type { HubModelSource, ModelFileStore } from './hub-model';

const hubFolder = 'hub';
const incomplete = '.incomplete';

/** The cache folder name of a repository, as the Hugging Face cache names it. */
export const repoFolderName = (repo: string) => `models--${repo.replace('/', '--')}`;

/** The origin-private file system's root: the browser's, or a stand-in (tests). */
export type OpfsRoot = () => Promise<FileSystemDirectoryHandle>;
const browserRoot: OpfsRoot = () => navigator.storage.getDirectory();

async function folder(
  path: readonly string[],
  create: boolean,
  root: OpfsRoot = browserRoot,
): Promise<FileSystemDirectoryHandle> {
  let dir = await root();
  for (const name of path) dir = await dir.getDirectoryHandle(name, { create });
  return dir;
}

async function exists(dir: FileSystemDirectoryHandle, name: string): Promise<boolean> {
  try {
    await dir.getFileHandle(name);
    return true;
  } catch {
    return false;
  }
}

/** The directory of a file path inside a revision's folder, and the file's name. */
async function place(root: FileSystemDirectoryHandle, path: string, create: boolean) {
  const parts = path.split('/');
  let dir = root;
  for (const name of parts.slice(0, -1)) dir = await dir.getDirectoryHandle(name, { create });
  return { dir, name: parts[parts.length - 1] };
}

/** What is used here of a synchronous access handle (dedicated workers only; typed in lib.webworker, not lib.dom). */
interface SyncAccessHandle {
  getSize(): number;
  write(data: Uint8Array, options: { at: number }): number;
  truncate(size: number): void;
  flush(): void;
  close(): void;
}
type SyncFileHandle = FileSystemFileHandle & { createSyncAccessHandle(): Promise<SyncAccessHandle> };

/** A file written through a synchronous access handle, straight to disk, renamed when complete. */
class OpfsTarget implements DownloadTarget {
  private handle: SyncAccessHandle | undefined;

  constructor(
    private readonly dir: FileSystemDirectoryHandle,
    private readonly name: string,
  ) {}

  private async open(): Promise<SyncAccessHandle> {
    if (this.handle === undefined) {
      const file = await this.dir.getFileHandle(this.name + incomplete, { create: true });
      this.handle = await (file as SyncFileHandle).createSyncAccessHandle();
    }
    return this.handle;
  }
  async storedBytes(): Promise<number> {
    return (await this.open()).getSize();
  }
  async append(chunk: Uint8Array): Promise<void> {
    const handle = await this.open();
    const written = handle.write(chunk, { at: handle.getSize() });
    // The standard has a write refused whole, but a short write leaves a prefix too: the same as a full disk.
    if (written < chunk.byteLength)
      throw new DOMException(`wrote ${written} of ${chunk.byteLength} bytes`, 'QuotaExceededError');
  }
  async truncate(): Promise<void> {
    (await this.open()).truncate(0);
  }
  async complete(): Promise<void> {
    await this.release();
    const part = await this.dir.getFileHandle(this.name + incomplete);
    await renameFile(this.dir, part, this.name);
  }
  async discard(): Promise<void> {
    await this.release();
    await this.dir.removeEntry(this.name + incomplete).catch(() => undefined);
  }
  /** Closes the file (after a failure too), so the next attempt can open it. */
  async release(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    // Closed even when the flush fails (a full disk), so the error that stopped the download is the one reported.
    try {
      handle?.flush();
    } finally {
      handle?.close();
    }
  }
}

/** Renames a file in its directory: `move` where the browser has it, else a copy. */
async function renameFile(dir: FileSystemDirectoryHandle, file: FileSystemFileHandle, name: string): Promise<void> {
  const movable = file as FileSystemFileHandle & { move?: (name: string) => Promise<void> };
  if (typeof movable.move === 'function') {
    await movable.move(name);
    return;
  }
  try {
    const target = await (await dir.getFileHandle(name, { create: true })).createWritable();
    await (await file.getFile()).stream().pipeTo(target);
  } catch (err) {
    // A half-made copy would pass for the complete file; the .incomplete one stays for the next attempt.
    await dir.removeEntry(name).catch(() => undefined);
    throw err;
  }
  await dir.removeEntry(file.name);
}

/** The OPFS store of one model revision. */
export async function opfsModelStore(
  source: Pick<HubModelSource, 'repo' | 'revision'>,
  opfsRoot?: OpfsRoot,
): Promise<ModelFileStore> {
  const root = await folder([hubFolder, repoFolderName(source.repo), source.revision], true, opfsRoot);
  return {
    async target(path) {
      const { dir, name } = await place(root, path, true);
      return new OpfsTarget(dir, name);
    },
    async has(path) {
      const { dir, name } = await place(root, path, true);
      return exists(dir, name);
    },
    async blob(path) {
      const { dir, name } = await place(root, path, false);
      return (await dir.getFileHandle(name)).getFile();
    },
  };
}

export interface CachedModel {
  repo: string;
  revisions: string[];
  /** Bytes stored, partial downloads included. */
  bytes: number;
  /** Whether a download of it is unfinished. */
  partial: boolean;
}

async function sizeOf(dir: FileSystemDirectoryHandle): Promise<{ bytes: number; partial: boolean }> {
  let bytes = 0;
  let partial = false;
  for await (const entry of dir.values()) {
    if (entry.kind === 'directory') {
      const inner = await sizeOf(entry);
      bytes += inner.bytes;
      partial ||= inner.partial;
    } else {
      bytes += (await entry.getFile()).size;
      partial ||= entry.name.endsWith(incomplete);
    }
  }
  return { bytes, partial };
}

/** The models in the page's cache, with their sizes. */
export async function listCachedModels(opfsRoot?: OpfsRoot): Promise<CachedModel[]> {
  const hub = await folder([hubFolder], true, opfsRoot);
  const out: CachedModel[] = [];
  for await (const entry of hub.values()) {
    if (entry.kind !== 'directory' || !entry.name.startsWith('models--')) continue;
    const repo = entry.name.slice('models--'.length).replace('--', '/');
    const revisions: string[] = [];
    for await (const revision of entry.values()) revisions.push(revision.name);
    out.push({ repo, revisions, ...(await sizeOf(entry)) });
  }
  return out.sort((a, b) => a.repo.localeCompare(b.repo));
}

/** Deletes every stored revision of `repo`. */
export async function deleteCachedModel(repo: string, opfsRoot?: OpfsRoot): Promise<void> {
  const hub = await folder([hubFolder], true, opfsRoot);
  await hub.removeEntry(repoFolderName(repo), { recursive: true });
}
