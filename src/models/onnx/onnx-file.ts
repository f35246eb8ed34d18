/**
 * Laying out and encoding an ONNX model whose initializers arrive one at a time.
 *
 * A ModelProto is protobuf, which caps a message at 2 GiB. Beyond that the tensor bytes go to
 * external data files (`model.onnx_data`, `model.onnx_data_1`, … as transformers.js names
 * them) and each initializer records `location`, `offset` and `length`. The layout is planned
 * from the initializers' declared sizes before any byte is produced, and the protobuf is then
 * written front to back: every length prefix is computed from sizes, so no tensor is held
 * longer than it takes to write it. Protobuf readers accept fields in any order, so the graph
 * (field 7) follows the model's other fields and the initializers (field 5) follow the nodes.
 */
import type { Initializer } from './graph-builder';
import { onnx } from './onnx-proto';

/** A model with its initializers not yet produced. */
export interface OnnxModelParts {
  graphName: string;
  nodes: onnx.INodeProto[];
  inputs: onnx.IValueInfoProto[];
  outputs: onnx.IValueInfoProto[];
  initializers: readonly Initializer[];
  opsetImport: onnx.IOperatorSetIdProto[];
  irVersion?: number;
}

export interface ExternalDataOptions {
  /** A model file that would reach this many bytes puts its tensor data outside. Default 2 GiB (protobuf's limit). */
  thresholdBytes?: number;
  /** The most bytes in one data file; a tensor never spans two. Default 2 GiB − 1 (one browser ArrayBuffer). */
  maxChunkBytes?: number;
  /** Tensors smaller than this stay inline even then (shape constants). Default 1024. */
  minExternalBytes?: number;
}

export const defaultExternalThreshold = 2 ** 31;
const defaultMaxChunkBytes = 2 ** 31 - 1;
const defaultMinExternal = 1024;
/** Offsets in the data files are multiples of this, so a runtime may map them from disk. */
const dataAlignment = 4096;

/** Where one initializer's bytes go when the data is external. */
export interface Placement {
  chunk: number;
  offset: number;
}

export interface OnnxLayout {
  /** Whether tensor data goes to external files. */
  external: boolean;
  /** The bytes of the model file if everything stayed inline (the figure the threshold is compared with). */
  inlineBytes: number;
  /** Bytes of each external data file (empty when inline). */
  chunkBytes: number[];
  /** Per initializer (by index): its place in a data file, or undefined when it stays in the model file. */
  placements: (Placement | undefined)[];
}

/** The name transformers.js asks for: chunk 0 is `<file>_data`, chunk i is `<file>_data_i`. */
export function externalDataFileName(modelFile: string, chunk: number): string {
  return `${modelFile}_data${chunk === 0 ? '' : `_${chunk}`}`;
}

function varintLength(n: number): number {
  let length = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    length++;
  }
  return length;
}

function varint(n: number): Uint8Array {
  const out = new Uint8Array(varintLength(n));
  for (let i = 0; i < out.length; i++) {
    const low = n % 128;
    n = Math.floor(n / 128);
    out[i] = low | (i < out.length - 1 ? 128 : 0);
  }
  return out;
}

/** The key of a length-delimited field. */
const lengthDelimited = (field: number) => (field << 3) | 2;
const modelGraphField = 7;
const graphInitializerField = 5;
const tensorRawDataField = 9;

function tensorMeta(init: Initializer, external?: { file: string; offset: number }): Uint8Array {
  const proto: onnx.ITensorProto = { name: init.name, dims: init.dims, dataType: init.dataType };
  if (external !== undefined) {
    proto.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    proto.externalData = [
      { key: 'location', value: external.file },
      { key: 'offset', value: String(external.offset) },
      { key: 'length', value: String(init.byteLength) },
    ];
  }
  return onnx.TensorProto.encode(proto).finish();
}

/** The TensorProto's bytes before its raw data, and how long the whole TensorProto is. */
function tensorPrefix(meta: Uint8Array, dataBytes: number | undefined): { prefix: Uint8Array; total: number } {
  const dataField = dataBytes === undefined ? 0 : 1 + varintLength(dataBytes) + dataBytes;
  const body = meta.length + dataField;
  const parts = [Uint8Array.of(lengthDelimited(graphInitializerField)), varint(body), meta];
  if (dataBytes !== undefined) parts.push(Uint8Array.of(lengthDelimited(tensorRawDataField)), varint(dataBytes));
  return { prefix: concat(parts), total: 1 + varintLength(body) + body };
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function modelHead(model: OnnxModelParts): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: model.irVersion ?? 8,
    producerName: 'sod-playground',
    opsetImport: model.opsetImport,
  }).finish();
}

function graphHead(model: OnnxModelParts): Uint8Array {
  return onnx.GraphProto.encode({
    name: model.graphName,
    node: model.nodes,
    input: model.inputs,
    output: model.outputs,
  }).finish();
}

/** The inline file's size from the model's structure and the initializers' declared sizes. */
function inlineSize(model: OnnxModelParts): number {
  let graph = graphHead(model).length;
  for (const init of model.initializers) graph += tensorPrefix(tensorMeta(init), init.byteLength).total;
  return modelHead(model).length + 1 + varintLength(graph) + graph;
}

/**
 * Decides inline or external data, and where each external tensor goes, from declared sizes
 * only: no initializer's data() is called.
 */
export function planOnnxLayout(model: OnnxModelParts, options: ExternalDataOptions = {}): OnnxLayout {
  const threshold = options.thresholdBytes ?? defaultExternalThreshold;
  const maxChunk = options.maxChunkBytes ?? defaultMaxChunkBytes;
  const minExternal = options.minExternalBytes ?? defaultMinExternal;
  const inlineBytes = inlineSize(model);
  if (inlineBytes < threshold)
    return { external: false, inlineBytes, chunkBytes: [], placements: model.initializers.map(() => undefined) };
  const chunkBytes: number[] = [];
  const placements = model.initializers.map((init): Placement | undefined => {
    if (init.byteLength < minExternal) return undefined;
    const last = chunkBytes.length - 1;
    const offset = last < 0 ? 0 : Math.ceil(chunkBytes[last] / dataAlignment) * dataAlignment;
    if (last >= 0 && offset + init.byteLength <= maxChunk) {
      chunkBytes[last] = offset + init.byteLength;
      return { chunk: last, offset };
    }
    // A new file; a tensor larger than maxChunkBytes fills one alone.
    chunkBytes.push(init.byteLength);
    return { chunk: chunkBytes.length - 1, offset: 0 };
  });
  return { external: true, inlineBytes, chunkBytes, placements };
}

/** Where the encoder's bytes go: the model file in order, the data files at given offsets. */
export interface OnnxSink {
  model(bytes: Uint8Array): void | Promise<void>;
  data(chunk: number, offset: number, bytes: Uint8Array): void | Promise<void>;
}

/**
 * Writes `model` laid out as `layout` (from planOnnxLayout) to `sink`, producing each
 * initializer's bytes once, in order, and dropping them after. `modelFile` is the model's
 * own file name, which its external data files are named after.
 */
export async function emitOnnxModel(
  model: OnnxModelParts,
  layout: OnnxLayout,
  modelFile: string,
  sink: OnnxSink,
  onTensor?: (done: number, total: number, name: string) => void,
): Promise<void> {
  const prefixes = model.initializers.map((init, i) => {
    const place = layout.placements[i];
    return place === undefined
      ? tensorPrefix(tensorMeta(init), init.byteLength)
      : tensorPrefix(
          tensorMeta(init, { file: externalDataFileName(modelFile, place.chunk), offset: place.offset }),
          undefined,
        );
  });
  const head = graphHead(model);
  const graphBytes = head.length + prefixes.reduce((n, p) => n + p.total, 0);
  await sink.model(
    concat([modelHead(model), Uint8Array.of(lengthDelimited(modelGraphField)), varint(graphBytes), head]),
  );
  for (const [i, init] of model.initializers.entries()) {
    const bytes = await init.data();
    if (bytes.byteLength !== init.byteLength)
      throw new Error(`initializer ${init.name}: produced ${bytes.byteLength} bytes, declared ${init.byteLength}`);
    await sink.model(prefixes[i].prefix);
    const place = layout.placements[i];
    if (place === undefined) await sink.model(bytes);
    else await sink.data(place.chunk, place.offset, bytes);
    onTensor?.(i + 1, model.initializers.length, init.name);
  }
}

/** The whole model as one inline file in memory (small models: tests, the demo pair). */
export async function encodeOnnxModel(model: OnnxModelParts): Promise<Uint8Array> {
  const layout = planOnnxLayout(model);
  if (layout.external)
    throw new Error(`the model takes ${layout.inlineBytes} bytes: too large for one file, write it with external data`);
  const out = new Uint8Array(layout.inlineBytes);
  let at = 0;
  await emitOnnxModel(model, layout, 'model.onnx', {
    model: (bytes) => {
      out.set(bytes, at);
      at += bytes.length;
    },
    data: () => {
      throw new Error('unreachable: the layout is inline');
    },
  });
  if (at !== out.length) throw new Error(`encoded ${at} bytes, planned ${out.length}`);
  return out;
}
