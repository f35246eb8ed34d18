/**
 * Attention for one new token over the KV cache: one 64-thread workgroup per query head.
 * Each thread runs an online softmax over keys j ≡ lane (mod 64), then the 64 partial
 * states are merged: a shared max, each thread rescales its sums, and the outputs are
 * summed across threads 32 dimensions at a time (8 KiB of workgroup memory for any D).
 */
export function decodeAttentionWgsl(D: number): string {
  return /* wgsl */ `
struct Dims { L: u32, Hq: u32, Hkv: u32, scale: f32 }
@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> q: array<f32>;            // (Hq, D) the new token's queries
@group(0) @binding(2) var<storage, read> k: array<f32>;            // (L, Hkv, D) cache, new token included
@group(0) @binding(3) var<storage, read> v: array<f32>;            // (L, Hkv, D)
@group(0) @binding(4) var<storage, read_write> out: array<f32>;    // (Hq, D)

const D = ${D}u;
var<workgroup> maxes: array<f32, 64>;
var<workgroup> sums: array<f32, 64>;
var<workgroup> columns: array<f32, 2048>; // 64 threads × 32 dimensions

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let h = wg.x;
  let kvHead = h / (dims.Hq / dims.Hkv);
  let lane = lid.x;
  var qv: array<f32, ${D}>;
  var o: array<f32, ${D}>;
  for (var d = 0u; d < D; d++) { qv[d] = q[h * D + d] * dims.scale; }
  var m = -3.0e38;
  var l = 0.0;
  for (var j = lane; j < dims.L; j += 64u) {
    let row = (j * dims.Hkv + kvHead) * D;
    var s = 0.0;
    for (var d = 0u; d < D; d++) { s += qv[d] * k[row + d]; }
    let mNew = max(m, s);
    let correction = exp(m - mNew);
    let p = exp(s - mNew);
    l = l * correction + p;
    for (var d = 0u; d < D; d++) { o[d] = o[d] * correction + p * v[row + d]; }
    m = mNew;
  }
  maxes[lane] = m;
  workgroupBarrier();
  var mAll = -3.0e38;
  for (var i = 0u; i < 64u; i++) { mAll = max(mAll, maxes[i]); }
  var scale = 0.0;
  if (l > 0.0) { scale = exp(m - mAll); }
  sums[lane] = l * scale;
  workgroupBarrier();
  var lAll = 0.0;
  for (var i = 0u; i < 64u; i++) { lAll += sums[i]; }
  for (var d0 = 0u; d0 < D; d0 += 32u) {
    for (var d = 0u; d < 32u; d++) {
      var value = 0.0;
      if (d0 + d < D) { value = o[d0 + d] * scale; }
      columns[lane * 32u + d] = value;
    }
    workgroupBarrier();
    if (lane < 32u && d0 + lane < D) {
      var total = 0.0;
      for (var i = 0u; i < 64u; i++) { total += columns[i * 32u + lane]; }
      out[h * D + d0 + lane] = total / lAll;
    }
    workgroupBarrier();
  }
}
`;
}
