import { forwardBindings } from './matmul.wgsl';
import type { WeightKind } from './weight-read.wgsl';

/**
 * The matrix-vector kernel for GPUs: y = α · x·Wᵀ (+ u·Lᵀ) (+ y) for a few rows of x (decode:
 * one), x (M, K), W (N, K), K a multiple of 4. A product of one row has no reuse of W to tile
 * for; its speed is the rate W streams from memory. So each output is one weight row read by
 * `matvecLanes` adjacent threads, which take adjacent vec4s of it (coalesced loads: a warp reads
 * whole cache lines), and their sums meet in workgroup memory. A workgroup holds
 * `matvecOutputs` such rows; each thread multiplies its weights by `rows` (1 or 4) rows of x,
 * so every weight is read once for up to 4 rows. The fused LoRA term, s·(x·Aᵀ)·Bᵀ with u =
 * s·x·Aᵀ (M, R) precomputed, is added by the thread that writes the output (R is small).
 * B may be stored as f16, bf16 or quantized (./weight-read.wgsl).
 */
export const matvecLanes = 32;
export const matvecOutputs = 8;

export function matvecWgsl(rows: 1 | 4, lora: boolean, bKind: WeightKind = 'f32'): string {
  const sum = rows === 1 ? 'f32' : 'vec4f';
  const products =
    rows === 1
      ? 'dot(a[xRows[0] + e], w)'
      : 'vec4f(dot(a[xRows[0] + e], w), dot(a[xRows[1] + e], w), dot(a[xRows[2] + e], w), dot(a[xRows[3] + e], w))';
  const rowOf = (i: number) => `min(m0 + ${i}u, dims.M - 1u) * K4`;
  return /* wgsl */ `
${forwardBindings(lora, bKind, 'f32')}

const LANES = ${matvecLanes}u;
var<workgroup> partial: array<${sum}, ${matvecLanes * matvecOutputs}>; // [output][lane]

@compute @workgroup_size(${matvecLanes}, ${matvecOutputs})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let n = wg.x * ${matvecOutputs}u + lid.y;
  let m0 = wg.y * ${rows}u;
  let K4 = dims.K / 4u;
  // Rows of x past M repeat the last one; their sums are not stored.
  let xRows = array<u32, ${rows}>(${Array.from({ length: rows }, (_, i) => rowOf(i)).join(', ')});
  var acc = ${sum}(0.0);
  if (n < dims.N) {
    let row = n * K4;
    for (var e = lid.x; e < K4; e += LANES) {
      let w = read4_b(row + e);
      acc += ${products};
    }
  }
  let slot = lid.y * LANES + lid.x;
  partial[slot] = acc;
  workgroupBarrier();
  for (var half = LANES / 2u; half > 0u; half >>= 1u) {
    if (lid.x < half) { partial[slot] += partial[slot + half]; }
    workgroupBarrier();
  }
  let m = m0 + lid.x;
  if (lid.x >= ${rows}u || n >= dims.N || m >= dims.M) { return; }
  var value = dims.alpha * partial[lid.y * LANES]${rows === 1 ? '' : '[lid.x]'};
${
  lora
    ? `  for (var r = 0u; r < dims.R; r++) { value += loraU[m * dims.R + r] * loraB[n * dims.R + r]; }
`
    : ''
}  if (dims.accumulate != 0u) { value += c[m * dims.N + n]; }
  c[m * dims.N + n] = value;
}
`;
}
