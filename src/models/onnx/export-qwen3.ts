import { onnx } from './onnx-proto';
import type { Qwen3SizeFields } from '../../engine/config';
import { GraphBuilder, valueInfo } from './graph-builder';

/** Weights by their Hugging Face names (`model.layers.0.self_attn.q_proj.weight`, …), as f32. */
export type WeightLookup = (name: string) => Float32Array;

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;

/**
 * Writes Qwen3ForCausalLM as an ONNX graph of standard operators (opset 17) with the
 * inputs and outputs @huggingface/transformers expects of a decoder with a KV cache:
 *   input_ids, attention_mask, position_ids (int64), past_key_values.{i}.key/value
 *   (float32, [batch, kv_heads, past, head_dim]) → logits, present.{i}.key/value.
 * Linear weights are stored transposed ([in, out]) so every projection is one MatMul.
 */
export function qwen3ToOnnx(dims: Qwen3SizeFields, weight: WeightLookup): Uint8Array {
  const g = new GraphBuilder();
  const {
    hidden_size: C,
    num_attention_heads: Hq,
    num_key_value_heads: Hkv,
    head_dim: D,
    num_hidden_layers: layers,
  } = dims;
  const half = D / 2;

  const transposed = (name: string, rows: number, cols: number) => {
    const w = weight(name);
    if (w.length !== rows * cols) throw new Error(`${name}: expected ${rows}×${cols} values, got ${w.length}`);
    const t = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = w[r * cols + c];
    return g.addFloat(`${name}.T`, [cols, rows], t);
  };
  const vector = (name: string, length: number) => g.addFloat(name, [length], weight(name));

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

  const embed = g.addFloat('model.embed_tokens.weight', [dims.vocab_size, C], weight('model.embed_tokens.weight'));
  let h = g.op('Gather', [embed, 'input_ids'], { axis: 0 }); // (B, S, C)
  const inputs = [
    valueInfo('input_ids', INT64, ['batch_size', 'sequence_length']),
    valueInfo('attention_mask', INT64, ['batch_size', 'total_sequence_length']),
    valueInfo('position_ids', INT64, ['batch_size', 'sequence_length']),
  ];
  const outputs = [valueInfo('logits', FLOAT, ['batch_size', 'sequence_length', dims.vocab_size])];

  for (let i = 0; i < layers; i++) {
    const p = `model.layers.${i}`;
    inputs.push(valueInfo(`past_key_values.${i}.key`, FLOAT, ['batch_size', Hkv, 'past_sequence_length', D]));
    inputs.push(valueInfo(`past_key_values.${i}.value`, FLOAT, ['batch_size', Hkv, 'past_sequence_length', D]));
    outputs.push(valueInfo(`present.${i}.key`, FLOAT, ['batch_size', Hkv, 'total_sequence_length', D]));
    outputs.push(valueInfo(`present.${i}.value`, FLOAT, ['batch_size', Hkv, 'total_sequence_length', D]));

    // Attention block.
    const x = rmsNorm(h, vector(`${p}.input_layernorm.weight`, C));
    const project = (name: string, rows: number) =>
      g.op('MatMul', [x, transposed(`${p}.self_attn.${name}.weight`, rows, C)]);
    const q = g.op('Reshape', [project('q_proj', Hq * D), qShape]);
    const k = g.op('Reshape', [project('k_proj', Hkv * D), kvShape]);
    const v = g.op('Reshape', [project('v_proj', Hkv * D), kvShape]);
    const toHeads = (t: string) => g.op('Transpose', [t], { perm: [0, 2, 1, 3] }); // (B, H, S, D)
    const qRot = rope(toHeads(rmsNorm(q, vector(`${p}.self_attn.q_norm.weight`, D))));
    const kRot = rope(toHeads(rmsNorm(k, vector(`${p}.self_attn.k_norm.weight`, D))));
    const keys = g.op('Concat', [`past_key_values.${i}.key`, kRot], { axis: 2 }, `present.${i}.key`);
    const values = g.op('Concat', [`past_key_values.${i}.value`, toHeads(v)], { axis: 2 }, `present.${i}.value`);
    const scores = g.op('Add', [
      g.op('Mul', [
        g.op('MatMul', [qRot, g.op('Transpose', [repeatKv(keys)], { perm: [0, 1, 3, 2] })]),
        g.scalar(1 / Math.sqrt(D)),
      ]),
      mask,
    ]);
    const attended = g.op('MatMul', [g.op('Softmax', [scores], { axis: -1 }), repeatKv(values)]); // (B, Hq, S, D)
    const merged = g.op('Reshape', [g.op('Transpose', [attended], { perm: [0, 2, 1, 3] }), mergedShape]);
    h = g.op('Add', [h, g.op('MatMul', [merged, transposed(`${p}.self_attn.o_proj.weight`, C, Hq * D)])]);

    // MLP block.
    const y = rmsNorm(h, vector(`${p}.post_attention_layernorm.weight`, C));
    const gate = g.op('MatMul', [y, transposed(`${p}.mlp.gate_proj.weight`, dims.intermediate_size, C)]);
    const up = g.op('MatMul', [y, transposed(`${p}.mlp.up_proj.weight`, dims.intermediate_size, C)]);
    const activated = g.op('Mul', [g.op('Mul', [gate, g.op('Sigmoid', [gate])]), up]);
    h = g.op('Add', [
      h,
      g.op('MatMul', [activated, transposed(`${p}.mlp.down_proj.weight`, C, dims.intermediate_size)]),
    ]);
  }

  const final = rmsNorm(h, vector('model.norm.weight', C));
  const head = dims.tie_word_embeddings
    ? g.op('Transpose', [embed], { perm: [1, 0] })
    : transposed('lm_head.weight', dims.vocab_size, C);
  g.op('MatMul', [final, head], {}, 'logits');

  const model: onnx.IModelProto = {
    irVersion: 8,
    producerName: 'sod-playground',
    opsetImport: [{ domain: '', version: 17 }],
    graph: { name: 'qwen3', node: g.nodes, initializer: g.initializers, input: inputs, output: outputs },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}
