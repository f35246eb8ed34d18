import { onnx } from './onnx-proto';
import type { Qwen3SizeFields } from '../../engine/config';
import { floatToHalf } from '../../engine/half-floats';
import { bytesOf, GraphBuilder, valueInfo } from './graph-builder';
import { encodeOnnxModel, type OnnxModelParts } from './onnx-file';
import type { ExportDtype } from './dtypes';
import { quantizeQ4, type Q4Weight } from './quantize-q4';

/** Weights by their Hugging Face names (`model.layers.0.self_attn.q_proj.weight`, …), as f32. */
export type WeightLookup = (name: string) => Float32Array | Promise<Float32Array>;

export interface Qwen3OnnxOptions {
  /** Default fp32. */
  dtype?: ExportDtype;
  /** K per scale of the q4 projections. Default 32. */
  blockSize?: number;
}

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const FLOAT16 = onnx.TensorProto.DataType.FLOAT16;
const INT64 = onnx.TensorProto.DataType.INT64;
const UINT8 = onnx.TensorProto.DataType.UINT8;

function toHalves(values: Float32Array): Uint8Array {
  const halves = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) halves[i] = floatToHalf(values[i]);
  return bytesOf(halves);
}

/**
 * Qwen3ForCausalLM as an ONNX graph with the inputs and outputs @huggingface/transformers
 * expects of a decoder with a KV cache:
 *   input_ids, attention_mask, position_ids (int64), past_key_values.{i}.key/value
 *   ([batch, kv_heads, past, head_dim]) → logits (float32), present.{i}.key/value.
 *
 * - fp32: standard operators (opset 17); linear weights stored transposed ([in, out]) so each
 *   projection is one MatMul.
 * - fp16: float16 weights, matmuls and KV cache (transformers.js sizes its empty cache from
 *   the graph's input types). The residual stream, RMSNorm, RoPE and softmax stay float32:
 *   Qwen3's hidden states outgrow float16's range, and a sum of squares more so. Logits are
 *   cast to float32 for teacher log-probs.
 * - q4: every projection and the LM head as com.microsoft MatMulNBits (4 bits, symmetric,
 *   see quantize-q4.ts) on float32 activations; the embedding table stays float32, as in the
 *   Hub's q4 exports, so the graph holds no float16 op and runs on WebGPU adapters without
 *   `shader-f16` (onnxruntime-web refuses a float16 Gather there).
 *
 * Weights are read (and converted) only when the writer reaches them, one at a time.
 */
export function qwen3OnnxModel(
  dims: Qwen3SizeFields,
  weight: WeightLookup,
  options: Qwen3OnnxOptions = {},
): OnnxModelParts {
  const dtype = options.dtype ?? 'fp32';
  const blockSize = options.blockSize ?? 32;
  const g = new GraphBuilder();
  const {
    hidden_size: C,
    num_attention_heads: Hq,
    num_key_value_heads: Hkv,
    head_dim: D,
    num_hidden_layers: layers,
    vocab_size: V,
  } = dims;
  const half = D / 2;
  /** The type of matmul inputs and outputs and of the KV cache. */
  const cacheType = dtype === 'fp16' ? FLOAT16 : FLOAT;

  const read = async (name: string, length: number): Promise<Float32Array> => {
    const w = await weight(name);
    if (w.length !== length) throw new Error(`${name}: expected ${length} values, got ${w.length}`);
    return w;
  };
  /** [rows, cols] (Hugging Face's [out, in]) stored as [cols, rows], in the graph's weight type. */
  const transposed = (name: string, rows: number, cols: number): string => {
    const produce = async () => {
      const w = await read(name, rows * cols);
      const t = new Float32Array(rows * cols);
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = w[r * cols + c];
      return dtype === 'fp16' ? toHalves(t) : bytesOf(t);
    };
    return g.addTensor(`${name}.T`, cacheType, [cols, rows], produce);
  };
  const vector = (name: string, length: number) =>
    g.addTensor(name, FLOAT, [length], async () => bytesOf(await read(name, length)));

  /** Float32 → the matmul type, and back. */
  const toCompute = (x: string) => (cacheType === FLOAT ? x : g.op('Cast', [x], { to: cacheType }));
  const toFloat = (x: string) => (cacheType === FLOAT ? x : g.op('Cast', [x], { to: FLOAT }));

  /** x · Wᵀ for a Hugging Face weight W of [out, inp]; x in the matmul type. */
  const linear = (x: string, name: string, out: number, inp: number, storedAs = name): string => {
    if (dtype !== 'q4') return g.op('MatMul', [x, transposed(name, out, inp)]);
    // The packed codes and the scales come from one read of the weight: the writer asks for
    // the codes first and the scales right after.
    let quantized: Promise<Q4Weight> | undefined;
    const quantize = () => {
      quantized ??= read(name, out * inp).then((w) => quantizeQ4(w, out, inp, blockSize));
      return quantized;
    };
    const blocks = Math.ceil(inp / blockSize);
    const packed = g.addTensor(`${storedAs}.q4`, UINT8, [out, blocks, blockSize / 2], async () => {
      return (await quantize()).packed;
    });
    const scales = g.addTensor(`${storedAs}.scales`, FLOAT, [out * blocks], async () => {
      const { scales } = await quantize();
      quantized = undefined; // both parts written: let the weight go
      return bytesOf(scales);
    });
    return g.op(
      'MatMulNBits',
      [x, packed, scales],
      { K: inp, N: out, bits: 4, block_size: blockSize },
      undefined,
      'com.microsoft',
    );
  };

  const rmsNorm = (x: string, w: string) => {
    const meanSquare = g.op('ReduceMean', [g.op('Mul', [x, x])], { axes: [-1], keepdims: 1 });
    const inverse = g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', [meanSquare, g.scalar(dims.rms_norm_eps)])])]);
    return g.op('Mul', [g.op('Mul', [x, inverse]), w]);
  };

  // Shapes known only at run time: batch B, new tokens S, total length L = past + S.
  const inputShape = g.op('Shape', ['input_ids']);
  const batch = g.op('Gather', [inputShape, g.ints([0])], { axis: 0 });
  const newTokens = g.op('Gather', [inputShape, g.ints([1])], { axis: 0 });
  const total = g.op('Gather', [g.op('Shape', ['attention_mask']), g.ints([1])], { axis: 0 });
  const past = g.op('Sub', [total, newTokens]);

  // Rotary tables from position_ids: angle = position · θ^(−2i/D), duplicated over both halves.
  const invFreq = new Float32Array(half).map((_, i) => dims.rope_theta ** ((-2 * i) / D));
  const angles = g.op('Mul', [
    g.op('Unsqueeze', [g.op('Cast', ['position_ids'], { to: FLOAT }), g.ints([-1])]),
    g.addFloat('rope.inv_freq', [half], invFreq),
  ]);
  const fullAngles = g.op('Concat', [angles, angles], { axis: -1 }); // (B, S, D)
  const cos = g.op('Unsqueeze', [g.op('Cos', [fullAngles]), g.ints([1])]); // (B, 1, S, D)
  const sin = g.op('Unsqueeze', [g.op('Sin', [fullAngles]), g.ints([1])]);
  const rope = (x: string) => {
    const first = g.op('Slice', [x, g.ints([0]), g.ints([half]), g.ints([3])]);
    const second = g.op('Slice', [x, g.ints([half]), g.ints([D]), g.ints([3])]);
    const rotated = g.op('Concat', [g.op('Neg', [second]), first], { axis: 3 });
    return g.op('Add', [g.op('Mul', [x, cos]), g.op('Mul', [rotated, sin])]);
  };

  // Additive mask (B, 1, S, L): query s (position past + s) sees key j ≤ past + s that is not padding.
  const totalScalar = g.op('Squeeze', [total]);
  const keyPositions = g.op('Range', [g.intScalar(0), totalScalar, g.intScalar(1)]);
  const queryPositions = g.op('Range', [g.op('Squeeze', [past]), totalScalar, g.intScalar(1)]);
  const causal = g.op('LessOrEqual', [
    g.op('Unsqueeze', [keyPositions, g.ints([0])]),
    g.op('Unsqueeze', [queryPositions, g.ints([1])]),
  ]); // (S, L)
  const notPadding = g.op('Cast', [g.op('Unsqueeze', ['attention_mask', g.ints([1, 2])])], {
    to: onnx.TensorProto.DataType.BOOL,
  }); // (B, 1, 1, L)
  const allowed = g.op('And', [causal, notPadding]);
  const mask = g.op('Where', [allowed, g.scalar(0), g.scalar(-3.0e38)]);

  const headsShape = (heads: number) => g.op('Concat', [batch, newTokens, g.ints([heads, D])], { axis: 0 });
  const qShape = headsShape(Hq);
  const kvShape = headsShape(Hkv);
  const mergedShape = g.op('Concat', [batch, newTokens, g.ints([Hq * D])], { axis: 0 });
  const groups = Hq / Hkv;
  const expandShape = g.op('Concat', [batch, g.ints([Hkv, groups]), total, g.ints([D])], { axis: 0 });
  const repeatedShape = g.op('Concat', [batch, g.ints([Hq]), total, g.ints([D])], { axis: 0 });
  const repeatKv = (x: string) =>
    groups === 1
      ? x
      : g.op('Reshape', [g.op('Expand', [g.op('Unsqueeze', [x, g.ints([2])]), expandShape]), repeatedShape]);

  const embedName = 'model.embed_tokens.weight';
  const embed =
    dtype !== 'fp16'
      ? g.addTensor(embedName, FLOAT, [V, C], async () => bytesOf(await read(embedName, V * C)))
      : g.addTensor(embedName, FLOAT16, [V, C], async () => toHalves(await read(embedName, V * C)));
  let h = g.op('Gather', [embed, 'input_ids'], { axis: 0 }); // (B, S, C)
  if (dtype === 'fp16') h = g.op('Cast', [h], { to: FLOAT });
  const inputs = [
    valueInfo('input_ids', INT64, ['batch_size', 'sequence_length']),
    valueInfo('attention_mask', INT64, ['batch_size', 'total_sequence_length']),
    valueInfo('position_ids', INT64, ['batch_size', 'sequence_length']),
  ];
  const outputs = [valueInfo('logits', FLOAT, ['batch_size', 'sequence_length', V])];
  const attentionScale = g.scalar(1 / Math.sqrt(D));

  for (let i = 0; i < layers; i++) {
    const p = `model.layers.${i}`;
    inputs.push(valueInfo(`past_key_values.${i}.key`, cacheType, ['batch_size', Hkv, 'past_sequence_length', D]));
    inputs.push(valueInfo(`past_key_values.${i}.value`, cacheType, ['batch_size', Hkv, 'past_sequence_length', D]));
    outputs.push(valueInfo(`present.${i}.key`, cacheType, ['batch_size', Hkv, 'total_sequence_length', D]));
    outputs.push(valueInfo(`present.${i}.value`, cacheType, ['batch_size', Hkv, 'total_sequence_length', D]));

    // Attention block.
    const x = toCompute(rmsNorm(h, vector(`${p}.input_layernorm.weight`, C)));
    const project = (name: string, rows: number) => linear(x, `${p}.self_attn.${name}.weight`, rows, C);
    const q = toFloat(g.op('Reshape', [project('q_proj', Hq * D), qShape]));
    const k = toFloat(g.op('Reshape', [project('k_proj', Hkv * D), kvShape]));
    const v = g.op('Reshape', [project('v_proj', Hkv * D), kvShape]);
    const toHeads = (t: string) => g.op('Transpose', [t], { perm: [0, 2, 1, 3] }); // (B, H, S, D)
    // The 1/√D of the scores is applied to the queries, before any float16 product.
    const qRot = toCompute(
      g.op('Mul', [rope(toHeads(rmsNorm(q, vector(`${p}.self_attn.q_norm.weight`, D)))), attentionScale]),
    );
    const kRot = toCompute(rope(toHeads(rmsNorm(k, vector(`${p}.self_attn.k_norm.weight`, D)))));
    const keys = g.op('Concat', [`past_key_values.${i}.key`, kRot], { axis: 2 }, `present.${i}.key`);
    const values = g.op('Concat', [`past_key_values.${i}.value`, toHeads(v)], { axis: 2 }, `present.${i}.value`);
    const scores = g.op('Add', [
      toFloat(g.op('MatMul', [qRot, g.op('Transpose', [repeatKv(keys)], { perm: [0, 1, 3, 2] })])),
      mask,
    ]);
    const probabilities = toCompute(g.op('Softmax', [scores], { axis: -1 }));
    const attended = g.op('MatMul', [probabilities, repeatKv(values)]); // (B, Hq, S, D)
    const merged = g.op('Reshape', [g.op('Transpose', [attended], { perm: [0, 2, 1, 3] }), mergedShape]);
    h = g.op('Add', [h, toFloat(linear(merged, `${p}.self_attn.o_proj.weight`, C, Hq * D))]);

    // MLP block.
    const y = toCompute(rmsNorm(h, vector(`${p}.post_attention_layernorm.weight`, C)));
    const I = dims.intermediate_size;
    const gate = linear(y, `${p}.mlp.gate_proj.weight`, I, C);
    const up = linear(y, `${p}.mlp.up_proj.weight`, I, C);
    const activated = g.op('Mul', [g.op('Mul', [gate, g.op('Sigmoid', [gate])]), up]);
    h = g.op('Add', [h, toFloat(linear(activated, `${p}.mlp.down_proj.weight`, C, I))]);
  }

  const final = toCompute(rmsNorm(h, vector('model.norm.weight', C)));
  const headName = dims.tie_word_embeddings ? embedName : 'lm_head.weight';
  let logits: string;
  if (dtype === 'q4') logits = linear(final, headName, V, C, 'lm_head.weight');
  else if (dims.tie_word_embeddings) logits = g.op('MatMul', [final, g.op('Transpose', [embed], { perm: [1, 0] })]);
  else logits = linear(final, headName, V, C);
  g.op(cacheType === FLOAT ? 'Identity' : 'Cast', [logits], cacheType === FLOAT ? {} : { to: FLOAT }, 'logits');

  return {
    graphName: 'qwen3',
    nodes: g.nodes,
    initializers: g.initializers,
    inputs,
    outputs,
    opsetImport: [{ domain: '', version: 17 }, ...(dtype === 'q4' ? [{ domain: 'com.microsoft', version: 1 }] : [])],
  };
}

/** The model as one inline ONNX file in memory (small models only: see writeOnnxFile for large ones). */
export function qwen3ToOnnx(
  dims: Qwen3SizeFields,
  weight: WeightLookup,
  options: Qwen3OnnxOptions = {},
): Promise<Uint8Array> {
  return encodeOnnxModel(qwen3OnnxModel(dims, weight, options));
}
