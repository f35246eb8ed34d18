import { onnx } from './onnx-proto';

type AttributeValue = number | number[] | string;

/**
 * A small helper for writing ONNX graphs by hand: named initializers, nodes with
 * attributes, and fresh intermediate names. Only standard (ai.onnx) operators.
 */
export class GraphBuilder {
  readonly nodes: onnx.INodeProto[] = [];
  readonly initializers: onnx.ITensorProto[] = [];
  private counter = 0;
  private readonly constants = new Map<string, string>();

  /** A fresh value name with a readable prefix. */
  fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }

  addFloat(name: string, dims: number[], values: Float32Array): string {
    if (values.length !== dims.reduce((a, b) => a * b, 1))
      throw new Error(`initializer ${name}: ${values.length} values do not fill ${dims.join('×')}`);
    this.initializers.push({
      name,
      dims,
      dataType: onnx.TensorProto.DataType.FLOAT,
      rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
    });
    return name;
  }

  /** An int64 constant vector (shapes, axes, indices), shared between uses. */
  ints(values: readonly number[]): string {
    const key = `i64:${values.join(',')}`;
    let name = this.constants.get(key);
    if (name === undefined) {
      name = this.fresh('const_i64');
      const data = BigInt64Array.from(values.map((v) => BigInt(v)));
      this.initializers.push({
        name,
        dims: [values.length],
        dataType: onnx.TensorProto.DataType.INT64,
        rawData: new Uint8Array(data.buffer),
      });
      this.constants.set(key, name);
    }
    return name;
  }

  /** An int64 scalar (0-d) constant, for Range. */
  intScalar(value: number): string {
    const key = `i64s:${value}`;
    let name = this.constants.get(key);
    if (name === undefined) {
      name = this.fresh('const_i64_scalar');
      this.initializers.push({
        name,
        dims: [],
        dataType: onnx.TensorProto.DataType.INT64,
        rawData: new Uint8Array(BigInt64Array.from([BigInt(value)]).buffer),
      });
      this.constants.set(key, name);
    }
    return name;
  }

  /** A float scalar constant, shared between uses. */
  scalar(value: number): string {
    const key = `f32:${value}`;
    let name = this.constants.get(key);
    if (name === undefined) {
      name = this.fresh('const_f32');
      this.initializers.push({
        name,
        dims: [],
        dataType: onnx.TensorProto.DataType.FLOAT,
        rawData: new Uint8Array(new Float32Array([value]).buffer),
      });
      this.constants.set(key, name);
    }
    return name;
  }

  /** Adds a node; returns its (first) output name. */
  op(opType: string, inputs: string[], attributes: Record<string, AttributeValue> = {}, output?: string): string {
    const out = output ?? this.fresh(opType.toLowerCase());
    this.nodes.push({
      opType,
      name: this.fresh(`node_${opType}`),
      input: inputs,
      output: [out],
      attribute: Object.entries(attributes).map(([name, value]) => attribute(name, value)),
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
