/**
 * Causal grouped-query attention with an online softmax (flash-attention style): queries
 * t = 0..T−1 sit at positions P + t and see keys 0..P + t of the (L = P + T, Hkv, D) key
 * and value tensors (the KV cache when decoding, or this sequence's own keys when
 * training, P = 0). Query head h reads key/value head h / (Hq / Hkv).
 *
 * Forward: one thread per query row, 64 rows of one head per workgroup; keys and values
 * are staged 16 at a time in workgroup memory. It saves the log-sum-exp per (head, query)
 * so the backward can recompute the probabilities without storing them.
 */
const keyBlock = 16;

const dims = /* wgsl */ `
struct Dims { T: u32, P: u32, Hq: u32, Hkv: u32, scale: f32 }
@group(0) @binding(0) var<uniform> dims: Dims;
`;

export function attentionForwardWgsl(D: number): string {
  return /* wgsl */ `${dims}
const D = ${D}u;
const KB = ${keyBlock}u;
@group(0) @binding(1) var<storage, read> q: array<f32>;            // (T, Hq, D)
@group(0) @binding(2) var<storage, read> k: array<f32>;            // (P + T, Hkv, D)
@group(0) @binding(3) var<storage, read> v: array<f32>;            // (P + T, Hkv, D)
@group(0) @binding(4) var<storage, read_write> out: array<f32>;    // (T, Hq, D)
@group(0) @binding(5) var<storage, read_write> lse: array<f32>;    // (Hq, T)

var<workgroup> kTile: array<f32, ${keyBlock * D}>;
var<workgroup> vTile: array<f32, ${keyBlock * D}>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let h = wg.y;
  let kvHead = h / (dims.Hq / dims.Hkv);
  let t = wg.x * 64u + lid.x;
  let isQuery = t < dims.T;
  let lastT = min(wg.x * 64u + 63u, dims.T - 1u);
  let keyEnd = dims.P + lastT + 1u; // keys this workgroup needs
  var qv: array<f32, ${D}>;
  var o: array<f32, ${D}>;
  if (isQuery) {
    for (var d = 0u; d < D; d++) { qv[d] = q[(t * dims.Hq + h) * D + d] * dims.scale; }
  }
  var m = -3.0e38;
  var l = 0.0;
  for (var j0 = 0u; j0 < keyEnd; j0 += KB) {
    for (var i = lid.x; i < KB * D; i += 64u) {
      let j = j0 + i / D;
      var kval = 0.0;
      var vval = 0.0;
      if (j < keyEnd) {
        kval = k[(j * dims.Hkv + kvHead) * D + i % D];
        vval = v[(j * dims.Hkv + kvHead) * D + i % D];
      }
      kTile[i] = kval;
      vTile[i] = vval;
    }
    workgroupBarrier();
    if (isQuery) {
      let visible = dims.P + t + 1u; // keys 0..P+t
      for (var jj = 0u; jj < KB; jj++) {
        let j = j0 + jj;
        if (j >= visible) { break; }
        var s = 0.0;
        for (var d = 0u; d < D; d++) { s += qv[d] * kTile[jj * D + d]; }
        let mNew = max(m, s);
        let correction = exp(m - mNew);
        let p = exp(s - mNew);
        l = l * correction + p;
        for (var d = 0u; d < D; d++) { o[d] = o[d] * correction + p * vTile[jj * D + d]; }
        m = mNew;
      }
    }
    workgroupBarrier();
  }
  if (isQuery) {
    for (var d = 0u; d < D; d++) { out[(t * dims.Hq + h) * D + d] = o[d] / l; }
    lse[h * dims.T + t] = m + log(l);
  }
}
`;
}

/** δ[h, t] = dO_t · O_t for every (query head, query): the softmax backward's row term. */
export function attentionDeltaWgsl(D: number): string {
  return /* wgsl */ `${dims}
const D = ${D}u;
@group(0) @binding(1) var<storage, read> out: array<f32>;           // (T, Hq, D)
@group(0) @binding(2) var<storage, read> dout: array<f32>;          // (T, Hq, D)
@group(0) @binding(3) var<storage, read_write> delta: array<f32>;   // (Hq, T)

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wg: vec3u) {
  let h = wg.y;
  let t = gid.x;
  if (t >= dims.T) { return; }
  let row = (t * dims.Hq + h) * D;
  var sum = 0.0;
  for (var d = 0u; d < D; d++) { sum += dout[row + d] * out[row + d]; }
  delta[h * dims.T + t] = sum;
}
`;
}

/**
 * Backward for the queries: one thread per query row.
 *   δ_t = dO_t · O_t;  p_tj = exp(s_tj − lse_t);  dS_tj = p_tj (dO_t · V_j − δ_t);  dQ_t = scale Σ_j dS_tj K_j.
 */
export function attentionBackwardQueryWgsl(D: number): string {
  return /* wgsl */ `${dims}
const D = ${D}u;
@group(0) @binding(1) var<storage, read> q: array<f32>;             // (T, Hq, D)
@group(0) @binding(2) var<storage, read> k: array<f32>;             // (P + T, Hkv, D)
@group(0) @binding(3) var<storage, read> v: array<f32>;             // (P + T, Hkv, D)
@group(0) @binding(4) var<storage, read> dout: array<f32>;          // (T, Hq, D)
@group(0) @binding(5) var<storage, read> lse: array<f32>;           // (Hq, T)
@group(0) @binding(6) var<storage, read> delta: array<f32>;         // (Hq, T)
@group(0) @binding(7) var<storage, read_write> dq: array<f32>;      // (T, Hq, D)

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wg: vec3u) {
  let h = wg.y;
  let t = gid.x;
  if (t >= dims.T) { return; }
  let kvHead = h / (dims.Hq / dims.Hkv);
  let row = (t * dims.Hq + h) * D;
  var qv: array<f32, ${D}>;
  var dov: array<f32, ${D}>;
  var dqv: array<f32, ${D}>;
  for (var d = 0u; d < D; d++) {
    qv[d] = q[row + d] * dims.scale;
    dov[d] = dout[row + d];
  }
  let l = lse[h * dims.T + t];
  let dt = delta[h * dims.T + t];
  for (var j = 0u; j <= dims.P + t; j++) {
    let kRow = (j * dims.Hkv + kvHead) * D;
    var s = 0.0;
    var dp = 0.0;
    for (var d = 0u; d < D; d++) {
      s += qv[d] * k[kRow + d];
      dp += dov[d] * v[kRow + d];
    }
    let ds = exp(s - l) * (dp - dt);
    for (var d = 0u; d < D; d++) { dqv[d] += ds * k[kRow + d]; }
  }
  for (var d = 0u; d < D; d++) { dq[row + d] = dims.scale * dqv[d]; }
}
`;
}

/**
 * Backward for keys and values: one thread per (key position, kv head), summing over the
 * query heads that share it and the queries that see it.
 *   dV_j = Σ p_tj dO_t;  dK_j = scale Σ dS_tj Q_t.
 */
export function attentionBackwardKeyValueWgsl(D: number): string {
  return /* wgsl */ `${dims}
const D = ${D}u;
@group(0) @binding(1) var<storage, read> q: array<f32>;             // (T, Hq, D)
@group(0) @binding(2) var<storage, read> k: array<f32>;             // (P + T, Hkv, D)
@group(0) @binding(3) var<storage, read> v: array<f32>;             // (P + T, Hkv, D)
@group(0) @binding(4) var<storage, read> dout: array<f32>;          // (T, Hq, D)
@group(0) @binding(5) var<storage, read> lse: array<f32>;           // (Hq, T)
@group(0) @binding(6) var<storage, read> delta: array<f32>;         // (Hq, T)
@group(0) @binding(7) var<storage, read_write> dk: array<f32>;      // (P + T, Hkv, D)
@group(0) @binding(8) var<storage, read_write> dv: array<f32>;      // (P + T, Hkv, D)

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wg: vec3u) {
  let kvHead = wg.y;
  let j = gid.x;
  if (j >= dims.P + dims.T) { return; }
  let groupSize = dims.Hq / dims.Hkv;
  let kRow = (j * dims.Hkv + kvHead) * D;
  var kv: array<f32, ${D}>;
  var vv: array<f32, ${D}>;
  var dkv: array<f32, ${D}>;
  var dvv: array<f32, ${D}>;
  for (var d = 0u; d < D; d++) { kv[d] = k[kRow + d]; vv[d] = v[kRow + d]; }
  // Query t sees key j when P + t >= j.
  var tStart = 0u;
  if (j > dims.P) { tStart = j - dims.P; }
  for (var g = 0u; g < groupSize; g++) {
    let h = kvHead * groupSize + g;
    for (var t = tStart; t < dims.T; t++) {
      let row = (t * dims.Hq + h) * D;
      var s = 0.0;
      var dp = 0.0;
      for (var d = 0u; d < D; d++) {
        s += q[row + d] * kv[d];
        dp += dout[row + d] * vv[d];
      }
      let p = exp(s * dims.scale - lse[h * dims.T + t]);
      let ds = p * (dp - delta[h * dims.T + t]);
      for (var d = 0u; d < D; d++) {
        dvv[d] += p * dout[row + d];
        dkv[d] += ds * q[row + d];
      }
    }
  }
  for (var d = 0u; d < D; d++) {
    dk[kRow + d] = dims.scale * dkv[d];
    dv[kRow + d] = dvv[d];
  }
}
`;
}
