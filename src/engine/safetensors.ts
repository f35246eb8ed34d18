/**
 * Hugging Face safetensors: an 8-byte little-endian header length, a JSON header naming each
 * tensor's dtype, shape and byte range, then the data. Reading goes tensor by tensor from a
 * Blob (a File, or a downloaded Response's blob), so a large file is never held twice; every
 * bound is checked and a bad file is refused with the file and tensor named.
 */

import { describeJson } from '../core/json';
import { floatToBf16, floatToHalf, halfToFloat } from './half-floats';

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16';

const dtypeBytes: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2 };

export interface TensorInfo {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Absolute byte range in the file. */
  begin: number;
  end: number;
}

export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

/** Headers above this size are refused as corrupt (real ones are a few hundred KiB). */
const maxHeaderBytes = 100 * 1024 * 1024;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isDtype(value: unknown): value is SafetensorsDtype {
  return value === 'F32' || value === 'F16' || value === 'BF16';
}

export class SafetensorsFile {
  private constructor(
    readonly fileName: string,
    private readonly blob: Blob,
    readonly tensors: ReadonlyMap<string, TensorInfo>,
    readonly metadata: Record<string, string>,
  ) {}

  /** Opens a file from a Blob/File or from bytes in memory; only the header is read now. */
  static async open(source: Blob | ArrayBuffer | Uint8Array, fileName: string): Promise<SafetensorsFile> {
    const blob = source instanceof Blob ? source : new Blob([source instanceof Uint8Array ? source.slice() : source]);
    const fail = (message: string) => new SafetensorsError(`${fileName}: ${message}`);
    if (blob.size < 8) throw fail(`only ${blob.size} bytes: too short to be a safetensors file`);
    const headerLength = Number(new DataView(await blob.slice(0, 8).arrayBuffer()).getBigUint64(0, true));
    if (headerLength > maxHeaderBytes || headerLength > blob.size - 8) {
      throw fail(
        `header claims ${headerLength} bytes but the file has ${blob.size}: the file is truncated or not safetensors`,
      );
    }
    let header: unknown;
    try {
      header = JSON.parse(new TextDecoder().decode(await blob.slice(8, 8 + headerLength).arrayBuffer()));
    } catch (err) {
      throw fail(`header is not valid JSON (${err instanceof Error ? err.message : String(err)})`);
    }
    if (!isRecord(header)) throw fail('header is not a JSON object');
    const dataStart = 8 + headerLength;
    const dataBytes = blob.size - dataStart;
    const tensors = new Map<string, TensorInfo>();
    let metadata: Record<string, string> = {};
    for (const [name, entry] of Object.entries(header)) {
      if (name === '__metadata__') {
        // The format holds strings here; anything else is kept as (brief) JSON text.
        if (isRecord(entry))
          metadata = Object.fromEntries(
            Object.entries(entry).map(([k, v]) => [k, typeof v === 'string' ? v : describeJson(v)]),
          );
        continue;
      }
      if (!isRecord(entry)) throw fail(`tensor ${name}: header entry is not an object`);
      const { dtype, shape, data_offsets: offsets } = entry;
      if (!isDtype(dtype))
        throw fail(`tensor ${name}: dtype ${describeJson(dtype)} is not supported (F32, F16 or BF16)`);
      if (
        !Array.isArray(shape) ||
        !shape.every((d: unknown) => typeof d === 'number' && Number.isInteger(d) && d >= 0)
      ) {
        throw fail(`tensor ${name}: shape ${describeJson(shape)} is not a list of sizes`);
      }
      if (
        !Array.isArray(offsets) ||
        offsets.length !== 2 ||
        !offsets.every((o: unknown) => typeof o === 'number' && Number.isInteger(o) && o >= 0)
      ) {
        throw fail(`tensor ${name}: data_offsets ${describeJson(offsets)} are not two byte offsets`);
      }
      const [from, to] = offsets.map(Number);
      const count = shape.reduce((a: number, b: number) => a * b, 1);
      if (to < from || to - from !== count * dtypeBytes[dtype]) {
        throw fail(
          `tensor ${name}: ${to - from} bytes for shape [${shape.join(', ')}] of ${dtype} (expected ${count * dtypeBytes[dtype]})`,
        );
      }
      if (to > dataBytes)
        throw fail(
          `tensor ${name}: its data ends at byte ${to} but the file holds ${dataBytes}: the file is truncated`,
        );
      tensors.set(name, { name, dtype, shape: shape.map(Number), begin: dataStart + from, end: dataStart + to });
    }
    // Two tensors over the same bytes would each read the other's values: the file is corrupt.
    const ranges = [...tensors.values()].filter((t) => t.end > t.begin).sort((a, b) => a.begin - b.begin);
    for (let i = 1; i < ranges.length; i++) {
      const [before, after] = [ranges[i - 1], ranges[i]];
      if (after.begin < before.end)
        throw fail(
          `tensors ${before.name} and ${after.name} share bytes ${after.begin - dataStart}–${Math.min(before.end, after.end) - dataStart} of the data`,
        );
    }
    return new SafetensorsFile(fileName, blob, tensors, metadata);
  }

  info(name: string): TensorInfo {
    const info = this.tensors.get(name);
    if (info === undefined) throw new SafetensorsError(`${this.fileName}: no tensor named ${name}`);
    return info;
  }

  /**
   * Reads one tensor as float32 (converting F16 and BF16), a slice of the file at a time, so
   * the file's bytes of a large tensor (Qwen3's 151936-row embedding) are never held whole
   * beside the float32 result.
   */
  async read(name: string): Promise<Float32Array> {
    const info = this.info(name);
    const width = info.dtype === 'F32' ? 4 : 2;
    const count = (info.end - info.begin) / width;
    const out = new Float32Array(count);
    const step = Math.floor(readChunkBytes / width);
    for (let i = 0; i < count; i += step) {
      const n = Math.min(step, count - i);
      const bytes = await this.blob.slice(info.begin + i * width, info.begin + (i + n) * width).arrayBuffer();
      toFloat32(bytes, info.dtype, out.subarray(i, i + n));
    }
    return out;
  }
}

/** Bytes of a file read at once by SafetensorsFile.read. */
const readChunkBytes = 16 << 20;

/** Converts raw little-endian bytes of `dtype` to float32, into `out` when given. */
export function toFloat32(
  bytes: ArrayBuffer,
  dtype: SafetensorsDtype,
  out: Float32Array = new Float32Array(bytes.byteLength / (dtype === 'F32' ? 4 : 2)),
): Float32Array {
  if (dtype === 'F32') {
    out.set(new Float32Array(bytes));
    return out;
  }
  const halves = new Uint16Array(bytes);
  if (dtype === 'BF16') {
    const bits = new Uint32Array(out.buffer, out.byteOffset, halves.length);
    for (let i = 0; i < halves.length; i++) bits[i] = halves[i] << 16;
    return out;
  }
  for (let i = 0; i < halves.length; i++) out[i] = halfToFloat(halves[i]);
  return out;
}

export interface TensorToWrite {
  shape: number[];
  data: Float32Array;
}

/** Writes tensors (in name order) as a safetensors file of `dtype`. */
export function writeSafetensors(
  tensors: Record<string, TensorToWrite>,
  options: { dtype?: SafetensorsDtype; metadata?: Record<string, string> } = {},
): Uint8Array<ArrayBuffer> {
  const dtype = options.dtype ?? 'F32';
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (options.metadata) header.__metadata__ = options.metadata;
  let offset = 0;
  for (const name of names) {
    const { shape, data } = tensors[name];
    const count = shape.reduce((a, b) => a * b, 1);
    if (count !== data.length)
      throw new SafetensorsError(`tensor ${name}: ${data.length} values do not fill shape [${shape.join(', ')}]`);
    header[name] = { dtype, shape, data_offsets: [offset, offset + count * dtypeBytes[dtype]] };
    offset += count * dtypeBytes[dtype];
  }
  let headerText = JSON.stringify(header);
  headerText += ' '.repeat((8 - ((8 + headerText.length) % 8)) % 8); // align the data to 8 bytes
  const headerBytes = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const name of names) {
    const { data } = tensors[name];
    if (dtype === 'F32') out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    else {
      const halves = new Uint16Array(data.length);
      const convert = dtype === 'BF16' ? floatToBf16 : floatToHalf;
      for (let i = 0; i < data.length; i++) halves[i] = convert(data[i]);
      out.set(new Uint8Array(halves.buffer), at);
    }
    at += data.length * dtypeBytes[dtype];
  }
  return out;
}

/** A checkpoint split over files by model.safetensors.index.json: tensor name → file. */
export class ShardedCheckpoint {
  private constructor(
    private readonly files: ReadonlyMap<string, SafetensorsFile>,
    private readonly weightMap: ReadonlyMap<string, string>,
  ) {}

  static async open(
    index: unknown,
    openShard: (file: string) => Promise<Blob | ArrayBuffer | Uint8Array>,
  ): Promise<ShardedCheckpoint> {
    if (!isRecord(index) || !isRecord(index.weight_map))
      throw new SafetensorsError('model.safetensors.index.json: weight_map is missing');
    const weightMap = new Map<string, string>();
    for (const [name, file] of Object.entries(index.weight_map)) {
      // Shards lie in the model's folder: a path out of it (.., /) or another kind of file is not one.
      if (
        typeof file !== 'string' ||
        !file.endsWith('.safetensors') ||
        file.startsWith('/') ||
        file.includes('..') ||
        file.includes('\\')
      )
        throw new SafetensorsError(
          `model.safetensors.index.json: weight_map[${describeJson(name)}] is ${describeJson(file)}, not the name of a .safetensors file in the model's folder`,
        );
      weightMap.set(name, file);
    }
    const files = new Map<string, SafetensorsFile>();
    for (const file of new Set(weightMap.values()))
      files.set(file, await SafetensorsFile.open(await openShard(file), file));
    for (const [name, file] of weightMap) {
      if (!files.get(file)?.tensors.has(name))
        throw new SafetensorsError(`${file}: the index lists tensor ${name} but the file does not hold it`);
    }
    return new ShardedCheckpoint(files, weightMap);
  }

  get names(): string[] {
    return [...this.weightMap.keys()];
  }

  info(name: string): TensorInfo {
    return this.file(name).info(name);
  }

  read(name: string): Promise<Float32Array> {
    return this.file(name).read(name);
  }

  private file(name: string): SafetensorsFile {
    const file = this.weightMap.get(name);
    const opened = file === undefined ? undefined : this.files.get(file);
    if (opened === undefined) throw new SafetensorsError(`no tensor named ${name} in the checkpoint`);
    return opened;
  }
}
