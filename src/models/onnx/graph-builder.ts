import { onnx } from './onnx-proto';

type AttributeValue = number | number[] | string;

/**
 * One initializer of a graph. Its size is known up front and its bytes are produced only
 * when the writer reaches it, so a model larger than memory can be written tensor by tensor
 * and the file layout (inline or external data) planned from sizes alone.
 */
export interface Initializer {
  name: string;
  dataType: onnx.TensorProto.DataType;
  dims: number[];
  byteLength: number;
  /** The little-endian bytes (exactly byteLength of them). */
  data(): Uint8Array | Promise<Uint8Array>;
}

const elementBytes: Partial<Record<onnx.TensorProto.DataType, number>> = {
  [onnx.TensorProto.DataType.FLOAT]: 4,
  [onnx.TensorProto.DataType.FLOAT16]: 2,
  [onnx.TensorProto.DataType.INT64]: 8,
  [onnx.TensorProto.DataType.UINT8]: 1,
};

/** Bytes of a tensor of `dims` whose elements are whole bytes. */
export function tensorBytes(dataType: onnx.TensorProto.DataType, dims: readonly number[]): number {
  const size = elementBytes[dataType];
  if (size === undefined) throw new Error(`no byte size for ONNX data type ${dataType}`);
  return size * dims.reduce((a, b) => a * b, 1);
}

/** The bytes of a typed array, without a copy. */
export function bytesOf(values: ArrayBufferView): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/**
 * A small helper for writing ONNX graphs by hand: named initializers, nodes with
 * attributes, and fresh intermediate names.
 */
export class GraphBuilder {
  readonly nodes: onnx.INodeProto[] = [];
  readonly initializers: Initializer[] = [];
  private counter = 0;
  private readonly constants = new Map<string, string>();

  /** A fresh value name with a readable prefix. */
  fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }

  /** An initializer whose bytes come later (see Initializer). */
  addTensor(
    name: string,
    dataType: onnx.TensorProto.DataType,
    dims: number[],
    data: () => Uint8Array | Promise<Uint8Array>,
  ): string {
    this.initializers.push({ name, dataType, dims, byteLength: tensorBytes(dataType, dims), data });
    return name;
  }

  addFloat(name: string, dims: number[], values: Float32Array): string {
    if (values.length !== dims.reduce((a, b) => a * b, 1))
      throw new Error(`initializer ${name}: ${values.length} values do not fill ${dims.join('×')}`);
    return this.addTensor(name, onnx.TensorProto.DataType.FLOAT, dims, () => bytesOf(values));
  }

  private constant(key: string, dataType: onnx.TensorProto.DataType, dims: number[], bytes: Uint8Array): string {
    let name = this.constants.get(key);
    if (name === undefined) {
      name = this.fresh(`const_${key.split(':')[0]}`);
      this.addTensor(name, dataType, dims, () => bytes);
      this.constants.set(key, name);
    }
    return name;
  }

  /** An int64 constant vector (shapes, axes, indices), shared between uses. */
  ints(values: readonly number[]): string {
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    return this.constant(`i64:${values.join(',')}`, onnx.TensorProto.DataType.INT64, [values.length], bytesOf(data));
  }

  /** An int64 scalar (0-d) constant, for Range. */
  intScalar(value: number): string {
    const data = BigInt64Array.from([BigInt(value)]);
    return this.constant(`i64s:${value}`, onnx.TensorProto.DataType.INT64, [], bytesOf(data));
  }

  /** A float scalar constant, shared between uses. */
  scalar(value: number): string {
    return this.constant(`f32:${value}`, onnx.TensorProto.DataType.FLOAT, [], bytesOf(new Float32Array([value])));
  }

  /** Adds a node (of `domain`, default ai.onnx); returns its (first) output name. */
  op(
    opType: string,
    inputs: string[],
    attributes: Record<string, AttributeValue> = {},
    output?: string,
    domain?: string,
  ): string {
    const out = output ?? this.fresh(opType.toLowerCase());
    this.nodes.push({
      opType,
      name: this.fresh(`node_${opType}`),
      input: inputs,
      output: [out],
      attribute: Object.entries(attributes).map(([name, value]) => attribute(name, value)),
      ...(domain === undefined ? {} : { domain }),
    });
    return out;
  }
}

function attribute(name: string, value: AttributeValue): onnx.IAttributeProto {
  const type = onnx.AttributeProto.AttributeType;
  if (typeof value === 'string') return { name, type: type.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: type.INTS, ints: value };
  return Number.isInteger(value) ? { name, type: type.INT, i: value } : { name, type: type.FLOAT, f: value };
}

/** A graph input or output with a symbolic or fixed shape. */
export function valueInfo(name: string, elemType: number, shape: (number | string)[]): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}
