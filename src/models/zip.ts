/**
 * A minimal ZIP writer (PKWARE APPNOTE 6.3): STORE only, no ZIP64, no directory entries.
 * Exports are small (an adapter, a few JSONL/CSV files), and the bytes a browser saves
 * must open in every unzip tool, so this writes the plainest archive the format allows.
 */

export interface ZipEntry {
  /** Relative path with '/' separators, e.g. "adapter/adapter_config.json". */
  path: string;
  data: Uint8Array;
}

export interface ZipOptions {
  /**
   * Modification time written for every entry, read in UTC so that the same inputs give
   * the same bytes on every machine. Default 1980-01-01 00:00, the earliest DOS time.
   */
  date?: Date;
}

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const LOCAL_HEADER_SIZE = 30;
const CENTRAL_HEADER_SIZE = 46;
const END_SIZE = 22;
/** Version 1.0 is all a stored file needs to extract. */
const VERSION_NEEDED = 10;
/** Made by Unix (3) with spec 2.0, so the external attributes below are read as a Unix mode. */
const VERSION_MADE_BY = (3 << 8) | 20;
/** -rw-r--r--, a regular file: without it some unzips extract with mode 000. */
const UNIX_FILE_ATTRIBUTES = (0o100644 << 16) >>> 0;
/** General purpose bit 11: the name is UTF-8. */
const FLAG_UTF8 = 0x0800;
const METHOD_STORE = 0;
const MAX_U16 = 0xffff;
const MAX_U32 = 0xffffffff;

let crcTable: Uint32Array | undefined;

function makeCrcTable(): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/** CRC-32 (ISO-HDLC, reflected polynomial 0xEDB88320), the checksum ZIP stores per entry. */
export function crc32(data: Uint8Array): number {
  const table = (crcTable ??= makeCrcTable());
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Refuses names that would escape or confuse the folder an archive is extracted into. */
function checkPath(path: string): void {
  const name = JSON.stringify(path);
  if (path === '') throw new Error('zip: an entry has an empty path');
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) throw new Error(`zip: path ${name} is absolute`);
  if (path.includes('\\')) throw new Error(`zip: path ${name} contains '\\'; use '/' between folders`);
  if (path.includes('\0')) throw new Error(`zip: path ${name} contains a NUL character`);
  const parts = path.split('/');
  if (parts.includes('..')) throw new Error(`zip: path ${name} contains '..'`);
  if (parts.some((p) => p === '' || p === '.')) throw new Error(`zip: path ${name} has an empty or '.' folder name`);
}

/** DOS date and time fields (2-second resolution) of a Date, in UTC. */
function dosDateTime(date: Date): { time: number; day: number } {
  const year = date.getUTCFullYear();
  if (!Number.isFinite(date.getTime()) || year < 1980 || year > 2107)
    throw new Error(`zip: date ${String(date)} is outside the DOS range 1980–2107`);
  const time = (date.getUTCHours() << 11) | (date.getUTCMinutes() << 5) | (date.getUTCSeconds() >> 1);
  const day = ((year - 1980) << 9) | ((date.getUTCMonth() + 1) << 5) | date.getUTCDate();
  return { time, day };
}

/** Writes a ZIP archive holding `files` uncompressed, in the order given. */
export function zipFiles(files: readonly ZipEntry[], options: ZipOptions = {}): Uint8Array<ArrayBuffer> {
  const { time, day } = dosDateTime(options.date ?? new Date(Date.UTC(1980, 0, 1)));
  if (files.length > MAX_U16)
    throw new Error(`zip: ${files.length} entries is more than the ${MAX_U16} a ZIP without ZIP64 holds`);
  const encoder = new TextEncoder();
  const seen = new Set<string>();
  const entries = files.map((f) => {
    checkPath(f.path);
    if (seen.has(f.path)) throw new Error(`zip: path ${JSON.stringify(f.path)} appears more than once`);
    seen.add(f.path);
    const name = encoder.encode(f.path);
    if (name.length > MAX_U16) throw new Error(`zip: path ${JSON.stringify(f.path)} is longer than ${MAX_U16} bytes`);
    return { name, data: f.data, crc: crc32(f.data) };
  });

  const localSize = entries.reduce((n, e) => n + LOCAL_HEADER_SIZE + e.name.length + e.data.length, 0);
  const centralSize = entries.reduce((n, e) => n + CENTRAL_HEADER_SIZE + e.name.length, 0);
  // Every offset and size field is 32 bits; past that an archive needs ZIP64, which this writer leaves out.
  if (localSize + centralSize > MAX_U32)
    throw new Error(`zip: ${localSize + centralSize} bytes is more than a ZIP without ZIP64 holds`);

  const out = new Uint8Array(localSize + centralSize + END_SIZE);
  const view = new DataView(out.buffer);
  let at = 0;
  const u16 = (v: number) => {
    view.setUint16(at, v, true);
    at += 2;
  };
  const u32 = (v: number) => {
    view.setUint32(at, v, true);
    at += 4;
  };
  const bytes = (b: Uint8Array) => {
    out.set(b, at);
    at += b.length;
  };

  // The fields the local header and the central directory entry share, in the same order.
  const sharedFields = (e: (typeof entries)[number]) => {
    u16(VERSION_NEEDED);
    u16(FLAG_UTF8);
    u16(METHOD_STORE);
    u16(time);
    u16(day);
    u32(e.crc);
    u32(e.data.length); // compressed size: stored, so the same
    u32(e.data.length);
    u16(e.name.length);
    u16(0); // extra field length
  };

  const offsets: number[] = [];
  for (const e of entries) {
    offsets.push(at);
    u32(LOCAL_HEADER);
    sharedFields(e);
    bytes(e.name);
    bytes(e.data);
  }

  const centralStart = at;
  entries.forEach((e, i) => {
    u32(CENTRAL_HEADER);
    u16(VERSION_MADE_BY);
    sharedFields(e);
    u16(0); // comment length
    u16(0); // disk number start
    u16(0); // internal attributes
    u32(UNIX_FILE_ATTRIBUTES);
    u32(offsets[i]);
    bytes(e.name);
  });

  u32(END_OF_CENTRAL_DIRECTORY);
  u16(0); // this disk
  u16(0); // disk where the central directory starts
  u16(entries.length); // entries on this disk
  u16(entries.length); // entries in all
  u32(centralSize);
  u32(centralStart);
  u16(0); // comment length
  return out;
}

/**
 * Reads an archive `zipFiles` wrote (or any other holding only stored entries, without ZIP64),
 * from its central directory; checks every entry's CRC. `name` is the archive as the person knows it.
 */
export function unzipFiles(archive: Uint8Array, name = 'archive'): ZipEntry[] {
  const fail = (problem: string) => new Error(`${name}: ${problem}`);
  const view = new DataView(archive.buffer, archive.byteOffset, archive.byteLength);
  // The end record is last, after a comment of at most 65535 bytes.
  let end = -1;
  for (let at = archive.length - END_SIZE; at >= Math.max(0, archive.length - END_SIZE - MAX_U16); at--)
    if (view.getUint32(at, true) === END_OF_CENTRAL_DIRECTORY) {
      end = at;
      break;
    }
  if (end < 0) throw fail('not a ZIP archive (no end of central directory record)');
  const count = view.getUint16(end + 10, true);
  let at = view.getUint32(end + 16, true);
  const decoder = new TextDecoder();
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (at + CENTRAL_HEADER_SIZE > archive.length || view.getUint32(at, true) !== CENTRAL_HEADER)
      throw fail(`central directory entry ${i + 1} is damaged`);
    const method = view.getUint16(at + 10, true);
    const crc = view.getUint32(at + 16, true);
    const size = view.getUint32(at + 20, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const local = view.getUint32(at + 42, true);
    const path = decoder.decode(archive.subarray(at + CENTRAL_HEADER_SIZE, at + CENTRAL_HEADER_SIZE + nameLength));
    at += CENTRAL_HEADER_SIZE + nameLength + extraLength + commentLength;
    if (path.endsWith('/')) continue; // a folder entry
    if (method !== METHOD_STORE) throw fail(`${path} is compressed (method ${method}); only stored entries are read`);
    if (local + LOCAL_HEADER_SIZE > archive.length || view.getUint32(local, true) !== LOCAL_HEADER)
      throw fail(`${path}: its local header is damaged`);
    const start = local + LOCAL_HEADER_SIZE + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    if (start + size > archive.length) throw fail(`${path}: its data runs past the end of the archive`);
    const data = archive.slice(start, start + size);
    if (crc32(data) !== crc) throw fail(`${path}: its CRC does not match: the archive is damaged`);
    entries.push({ path, data });
  }
  return entries;
}
