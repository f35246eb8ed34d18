/**
 * RMSNorm over rows of C values: out = x · rstd · w, rstd = 1/√(mean(x²) + eps).
 * One 64-thread workgroup per row; the forward saves rstd for the backward.
 * Rows are (T, C) for the residual stream or (T·heads, head_dim) for Qwen3's q/k norms.
 */
const reduceSum = /* wgsl */ `
var<workgroup> partial: array<f32, 64>;

fn workgroupSum(value: f32, lane: u32) -> f32 {
  partial[lane] = value;
  workgroupBarrier();
  for (var stride = 32u; stride > 0u; stride >>= 1u) {
    if (lane < stride) { partial[lane] += partial[lane + stride]; }
    workgroupBarrier();
  }
  let total = partial[0];
  workgroupBarrier();
  return total;
}
`;

const header = /* wgsl */ `
struct Dims { rows: u32, C: u32, eps: f32, accumulate: u32 }
@group(0) @binding(0) var<uniform> dims: Dims;
`;

export function rmsNormForwardWgsl(): string {
  return /* wgsl */ `${header}
@group(0) @binding(1) var<storage, read> inp: array<f32>;    // (rows, C)
@group(0) @binding(2) var<storage, read> weight: array<f32>; // (C)
@group(0) @binding(3) var<storage, read_write> out: array<f32>; // (rows, C)
@group(0) @binding(4) var<storage, read_write> rstd: array<f32>; // (rows)
${reduceSum}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let row = wg.y * nwg.x + wg.x;
  if (row >= dims.rows) { return; }
  let base = row * dims.C;
  var sq = 0.0;
  for (var i = lid.x; i < dims.C; i += 64u) { let v = inp[base + i]; sq += v * v; }
  let r = inverseSqrt(workgroupSum(sq, lid.x) / f32(dims.C) + dims.eps);
  for (var i = lid.x; i < dims.C; i += 64u) { out[base + i] = inp[base + i] * r * weight[i]; }
  if (lid.x == 0u) { rstd[row] = r; }
}
`;
}

/**
 * dx = rstd · (w·dy − x · rstd² · mean(x · w · dy)), added to dinp when accumulating.
 */
export function rmsNormBackwardWgsl(): string {
  return /* wgsl */ `${header}
@group(0) @binding(1) var<storage, read> dout: array<f32>;   // (rows, C)
@group(0) @binding(2) var<storage, read> inp: array<f32>;    // (rows, C)
@group(0) @binding(3) var<storage, read> weight: array<f32>; // (C)
@group(0) @binding(4) var<storage, read> rstd: array<f32>;   // (rows)
@group(0) @binding(5) var<storage, read_write> dinp: array<f32>; // (rows, C)
${reduceSum}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let row = wg.y * nwg.x + wg.x;
  if (row >= dims.rows) { return; }
  let base = row * dims.C;
  let r = rstd[row];
  var dot = 0.0;
  for (var i = lid.x; i < dims.C; i += 64u) { dot += inp[base + i] * weight[i] * dout[base + i]; }
  let meanDot = workgroupSum(dot, lid.x) / f32(dims.C);
  for (var i = lid.x; i < dims.C; i += 64u) {
    var g = r * (weight[i] * dout[base + i] - inp[base + i] * r * r * meanDot);
    if (dims.accumulate != 0u) { g += dinp[base + i]; }
    dinp[base + i] = g;
  }
}
`;
}
