/**
 * An origin-private file system in memory, for tests of the page's model cache: the handles
 * and methods src/models/opfs-store.ts uses, with one quota over every file. A write that
 * would take the stored bytes past `capacity` throws the browser's
 * DOMException('…', 'QuotaExceededError') and stores nothing of that write, as the standard
 * says of a synchronous access handle's write.
 */

const quotaError = () => new DOMException('The quota has been exceeded.', 'QuotaExceededError');
const notFound = (name: string) => new DOMException(`${name} was not found`, 'NotFoundError');

class FakeFile {
  readonly kind = 'file';
  bytes = new Uint8Array(0);

  constructor(
    public name: string,
    private parent: FakeDirectory,
    private readonly fs: FakeOpfs,
  ) {}

  async getFile(): Promise<File> {
    return new File([this.bytes.slice()], this.name);
  }

  /** Grows or shrinks the file to `size`, within the quota. */
  private resize(size: number): void {
    if (this.fs.storedBytes() - this.bytes.byteLength + size > this.fs.capacity) throw quotaError();
    const next = new Uint8Array(size);
    next.set(this.bytes.subarray(0, Math.min(size, this.bytes.byteLength)));
    this.bytes = next;
  }

  async createSyncAccessHandle() {
    let open = true;
    const check = () => {
      if (!open) throw new DOMException('the handle is closed', 'InvalidStateError');
    };
    return {
      getSize: () => (check(), this.bytes.byteLength),
      write: (data: Uint8Array, options: { at: number }) => {
        check();
        const end = options.at + data.byteLength;
        if (end > this.bytes.byteLength) this.resize(end);
        this.bytes.set(data, options.at);
        return data.byteLength;
      },
      truncate: (size: number) => (check(), this.resize(size)),
      flush: () => check(),
      close: () => {
        open = false;
      },
    };
  }

  /** Like a browser's createWritable: written to a copy, kept only when closed. */
  async createWritable(): Promise<WritableStream<Uint8Array>> {
    const chunks: Uint8Array[] = [];
    return new WritableStream<Uint8Array>({
      write: (chunk) => {
        const pending = chunks.reduce((n, c) => n + c.byteLength, 0) + chunk.byteLength;
        if (this.fs.storedBytes() + pending > this.fs.capacity) throw quotaError();
        chunks.push(chunk.slice());
      },
      close: () => {
        this.bytes = new Uint8Array(0);
        this.resize(chunks.reduce((n, c) => n + c.byteLength, 0));
        let at = 0;
        for (const c of chunks) {
          this.bytes.set(c, at);
          at += c.byteLength;
        }
      },
    });
  }

  async move(name: string): Promise<void> {
    this.parent.entries.delete(this.name);
    this.name = name;
    this.parent.entries.set(name, this);
  }

  /** Without `move`, as in browsers that lack it: opfs-store then copies. */
  withoutMove(): void {
    Object.defineProperty(this, 'move', { value: undefined });
  }
}

class FakeDirectory {
  readonly kind = 'directory';
  readonly entries = new Map<string, FakeFile | FakeDirectory>();

  constructor(
    readonly name: string,
    private readonly fs: FakeOpfs,
  ) {}

  async getDirectoryHandle(name: string, options: { create?: boolean } = {}): Promise<FakeDirectory> {
    const entry = this.entries.get(name);
    if (entry instanceof FakeDirectory) return entry;
    if (entry !== undefined) throw new DOMException(`${name} is a file`, 'TypeMismatchError');
    if (!options.create) throw notFound(name);
    const dir = new FakeDirectory(name, this.fs);
    this.entries.set(name, dir);
    return dir;
  }

  async getFileHandle(name: string, options: { create?: boolean } = {}): Promise<FakeFile> {
    const entry = this.entries.get(name);
    if (entry instanceof FakeFile) {
      if (this.fs.noMove) entry.withoutMove();
      return entry;
    }
    if (entry !== undefined) throw new DOMException(`${name} is a folder`, 'TypeMismatchError');
    if (!options.create) throw notFound(name);
    const file = new FakeFile(name, this, this.fs);
    if (this.fs.noMove) file.withoutMove();
    this.entries.set(name, file);
    return file;
  }

  async removeEntry(name: string, options: { recursive?: boolean } = {}): Promise<void> {
    const entry = this.entries.get(name);
    if (entry === undefined) throw notFound(name);
    if (entry instanceof FakeDirectory && entry.entries.size > 0 && !options.recursive)
      throw new DOMException(`${name} is not empty`, 'InvalidModificationError');
    this.entries.delete(name);
  }

  async *values(): AsyncIterableIterator<FakeFile | FakeDirectory> {
    yield* [...this.entries.values()];
  }
}

export class FakeOpfs {
  /** Bytes all files together may hold. */
  capacity: number;
  /** Whether file handles lack `move` (the copy path of a rename). */
  noMove = false;
  readonly rootDirectory: FakeDirectory;

  constructor(capacity = Number.POSITIVE_INFINITY) {
    this.capacity = capacity;
    this.rootDirectory = new FakeDirectory('', this);
  }

  /** The root as opfs-store takes it (in place of navigator.storage.getDirectory). */
  root = async (): Promise<FileSystemDirectoryHandle> => this.rootDirectory as unknown as FileSystemDirectoryHandle;

  /** navigator.storage.estimate() of this file system. */
  estimate = async (): Promise<{ usage: number; quota: number }> => ({
    usage: this.storedBytes(),
    quota: this.capacity,
  });

  storedBytes(): number {
    const size = (dir: FakeDirectory): number =>
      [...dir.entries.values()].reduce((n, e) => n + (e instanceof FakeFile ? e.bytes.byteLength : size(e)), 0);
    return size(this.rootDirectory);
  }

  /** Every file by its path from the root, with its bytes (a copy). */
  files(): Map<string, Uint8Array> {
    const out = new Map<string, Uint8Array>();
    const walk = (dir: FakeDirectory, prefix: string) => {
      for (const [name, e] of dir.entries)
        if (e instanceof FakeFile) out.set(prefix + name, e.bytes.slice());
        else walk(e, `${prefix}${name}/`);
    };
    walk(this.rootDirectory, '');
    return out;
  }

  /** Writes a file at `path` (folders made as needed), outside the quota check: what was stored before. */
  async put(path: string, bytes: Uint8Array): Promise<void> {
    const parts = path.split('/');
    let dir = this.rootDirectory;
    for (const name of parts.slice(0, -1)) dir = await dir.getDirectoryHandle(name, { create: true });
    const file = await dir.getFileHandle(parts[parts.length - 1], { create: true });
    file.bytes = bytes.slice();
  }
}
