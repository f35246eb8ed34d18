/**
 * Causal grouped-query attention with an online softmax (flash-attention style): queries
 * t = 0..T−1 sit at positions P + t and see keys 0..P + t of the (L = P + T, Hkv, D) key
 * and value tensors (the KV cache when decoding, or this sequence's own keys when
 * training, P = 0). Query head h reads key/value head h / (Hq / Hkv).
 *
 * Forward: one thread per query row, 64 rows of one head per workgroup; keys and values
 * are staged 16 at a time in workgroup memory. A row is held as ⌈D/4⌉ vec4s (zero past D,
 * so any D works) and takes 4 keys per step of the online softmax: a quarter of the
 * rescales of its output and of the reads of its own registers, which on a CPU adapter
 * (SwiftShader) are memory. It saves the log-sum-exp per (head, query) so the backward can
 * recompute the probabilities without storing them.
 */
const keyBlock = 16;

const dims = /* wgsl */ `
struct Dims { T: u32, P: u32, Hq: u32, Hkv: u32, scale: f32 }
@group(0) @binding(0) var<uniform> dims: Dims;
`;

/** WGSL: vec4 e (values 4e..4e+3, zero past D) of the row of `name` starting at `base`. */
function rowVec4(name: string, base: string, D: number): string {
  if (D % 4 === 0)
    return `vec4f(${name}[${base} + 4u * e], ${name}[${base} + 4u * e + 1u], ${name}[${base} + 4u * e + 2u], ${name}[${base} + 4u * e + 3u])`;
  const at = (i: number) => `select(0.0, ${name}[min(${base} + 4u * e + ${i}u, ${base} + D - 1u)], 4u * e + ${i}u < D)`;
  return `vec4f(${at(0)}, ${at(1)}, ${at(2)}, ${at(3)})`;
}

/**
 * WGSL: rows first..first+16 of two (rows, heads, D) tensors (the row r's values start at
 * `rowStart`) into workgroup tiles of vec4s, the first one times `scale`, zero from row `end` on.
 */
function stageTiles(
  D: number,
  first: string,
  end: string,
  rowStart: string,
  [tileA, srcA, scale = '']: [tile: string, src: string, scale?: string],
  [tileB, srcB]: [tile: string, src: string],
): string {
  return /* wgsl */ `for (var i = lid.x; i < ${keyBlock}u * D4; i += 64u) {
      let r = ${first} + i / D4;
      let e = i % D4;
      var a = vec4f(0.0);
      var b = vec4f(0.0);
      if (r < ${end}) {
        let base = ${rowStart};
        a = ${rowVec4(srcA, 'base', D)}${scale};
        b = ${rowVec4(srcB, 'base', D)};
      }
      ${tileA}[i] = a;
      ${tileB}[i] = b;
    }`;
}

/** WGSL: x · the 4 tile rows r..r+3 at vec4 column e, as a vec4. */
function dots4(x: string, tile: string, r: string): string {
  const row = (i: number) => `${tile}[(${r} + ${i}u) * D4 + e]`;
  return `vec4f(dot(${x}, ${row(0)}), dot(${x}, ${row(1)}), dot(${x}, ${row(2)}), dot(${x}, ${row(3)}))`;
}

/** WGSL: Σ_i w[i] · tile row r+i at vec4 column e. */
function weighted4(w: string, tile: string, r: string): string {
  const row = (i: number) => `${tile}[(${r} + ${i}u) * D4 + e]`;
  return `${w}.x * ${row(0)} + ${w}.y * ${row(1)} + ${w}.z * ${row(2)} + ${w}.w * ${row(3)}`;
}

/** WGSL: the vec4 `value` as values 4e..4e+3 of the row of `dst` at `base`, those below D. */
function storeVec4(dst: string, value: string): string {
  return `{
        let value = ${value};
        for (var c = 0u; c < 4u; c++) { if (4u * e + c < D) { ${dst}[base + 4u * e + c] = value[c]; } }
      }`;
}

export function attentionForwardWgsl(D: number): string {
  const D4 = Math.ceil(D / 4);
  return /* wgsl */ `${dims}
const D = ${D}u;
const D4 = ${D4}u;
const KB = ${keyBlock}u;
@group(0) @binding(1) var<storage, read> q: array<f32>;            // (T, Hq, D)
@group(0) @binding(2) var<storage, read> k: array<f32>;            // (P + T, Hkv, D)
@group(0) @binding(3) var<storage, read> v: array<f32>;            // (P + T, Hkv, D)
@group(0) @binding(4) var<storage, read_write> out: array<f32>;    // (T, Hq, D)
@group(0) @binding(5) var<storage, read_write> lse: array<f32>;    // (Hq, T)

var<workgroup> kTile: array<vec4f, ${keyBlock * D4}>; // (KB, D4)
var<workgroup> vTile: array<vec4f, ${keyBlock * D4}>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let h = wg.y;
  let kvHead = h / (dims.Hq / dims.Hkv);
  let t = wg.x * 64u + lid.x;
  let isQuery = t < dims.T;
  let lastT = min(wg.x * 64u + 63u, dims.T - 1u);
  let keyEnd = dims.P + lastT + 1u; // keys this workgroup needs
  var qv: array<vec4f, D4>;
  var o: array<vec4f, D4>;
  if (isQuery) {
    let base = (t * dims.Hq + h) * D;
    for (var e = 0u; e < D4; e++) { qv[e] = ${rowVec4('q', 'base', D)} * dims.scale; }
  }
  var m = -3.0e38;
  var l = 0.0;
  let visible = dims.P + t + 1u; // keys 0..P+t
  for (var j0 = 0u; j0 < keyEnd; j0 += KB) {
    ${stageTiles(D, 'j0', 'keyEnd', '(r * dims.Hkv + kvHead) * D', ['kTile', 'k'], ['vTile', 'v'])}
    workgroupBarrier();
    if (isQuery) {
      for (var jj = 0u; jj < KB; jj += 4u) {
        let j = j0 + jj;
        if (j >= visible) { break; }
        var s = vec4f(0.0);
        for (var e = 0u; e < D4; e++) {
          let qe = qv[e];
          s += ${dots4('qe', 'kTile', 'jj')};
        }
        // Keys past this query's last visible one take no weight.
        s = select(s, vec4f(-3.0e38), vec4u(j, j + 1u, j + 2u, j + 3u) >= vec4u(visible));
        let mNew = max(m, max(max(s.x, s.y), max(s.z, s.w)));
        let correction = exp(m - mNew);
        let p = exp(s - vec4f(mNew));
        l = l * correction + (p.x + p.y) + (p.z + p.w);
        for (var e = 0u; e < D4; e++) {
          o[e] = o[e] * correction + ${weighted4('p', 'vTile', 'jj')};
        }
        m = mNew;
      }
    }
    workgroupBarrier();
  }
  if (isQuery) {
    let base = (t * dims.Hq + h) * D;
    for (var e = 0u; e < D4; e++) { ${storeVec4('out', 'o[e] / l')} }
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
 * Backward for the queries: one thread per query row, with the keys and values staged in
 * workgroup memory and taken 4 at a time, as in the forward.
 *   δ_t = dO_t · O_t;  p_tj = exp(s_tj − lse_t);  dS_tj = p_tj (dO_t · V_j − δ_t);  dQ_t = scale Σ_j dS_tj K_j.
 */
export function attentionBackwardQueryWgsl(D: number): string {
  const D4 = Math.ceil(D / 4);
  return /* wgsl */ `${dims}
const D = ${D}u;
const D4 = ${D4}u;
const KB = ${keyBlock}u;
@group(0) @binding(1) var<storage, read> q: array<f32>;             // (T, Hq, D)
@group(0) @binding(2) var<storage, read> k: array<f32>;             // (P + T, Hkv, D)
@group(0) @binding(3) var<storage, read> v: array<f32>;             // (P + T, Hkv, D)
@group(0) @binding(4) var<storage, read> dout: array<f32>;          // (T, Hq, D)
@group(0) @binding(5) var<storage, read> lse: array<f32>;           // (Hq, T)
@group(0) @binding(6) var<storage, read> delta: array<f32>;         // (Hq, T)
@group(0) @binding(7) var<storage, read_write> dq: array<f32>;      // (T, Hq, D)

var<workgroup> kTile: array<vec4f, ${keyBlock * D4}>; // (KB, D4)
var<workgroup> vTile: array<vec4f, ${keyBlock * D4}>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let h = wg.y;
  let kvHead = h / (dims.Hq / dims.Hkv);
  let t = wg.x * 64u + lid.x;
  let isQuery = t < dims.T;
  let lastT = min(wg.x * 64u + 63u, dims.T - 1u);
  let keyEnd = dims.P + lastT + 1u;
  let visible = dims.P + t + 1u;
  var qv: array<vec4f, D4>;
  var dov: array<vec4f, D4>;
  var dqv: array<vec4f, D4>;
  var l = 0.0;
  var dt = 0.0;
  if (isQuery) {
    let base = (t * dims.Hq + h) * D;
    for (var e = 0u; e < D4; e++) {
      qv[e] = ${rowVec4('q', 'base', D)} * dims.scale;
      dov[e] = ${rowVec4('dout', 'base', D)};
    }
    l = lse[h * dims.T + t];
    dt = delta[h * dims.T + t];
  }
  for (var j0 = 0u; j0 < keyEnd; j0 += KB) {
    ${stageTiles(D, 'j0', 'keyEnd', '(r * dims.Hkv + kvHead) * D', ['kTile', 'k'], ['vTile', 'v'])}
    workgroupBarrier();
    if (isQuery) {
      for (var jj = 0u; jj < KB; jj += 4u) {
        let j = j0 + jj;
        if (j >= visible) { break; }
        var s = vec4f(0.0);
        var dp = vec4f(0.0);
        for (var e = 0u; e < D4; e++) {
          let qe = qv[e];
          let de = dov[e];
          s += ${dots4('qe', 'kTile', 'jj')};
          dp += ${dots4('de', 'vTile', 'jj')};
        }
        let seen = vec4u(j, j + 1u, j + 2u, j + 3u) < vec4u(visible);
        let ds = select(vec4f(0.0), exp(s - vec4f(l)) * (dp - vec4f(dt)), seen);
        for (var e = 0u; e < D4; e++) {
          dqv[e] += ${weighted4('ds', 'kTile', 'jj')};
        }
      }
    }
    workgroupBarrier();
  }
  if (isQuery) {
    let base = (t * dims.Hq + h) * D;
    for (var e = 0u; e < D4; e++) { ${storeVec4('dq', 'dims.scale * dqv[e]')} }
  }
}
`;
}

/**
 * Backward for keys and values: one thread per key position, 64 keys of one key/value head
 * per workgroup, summing over the query heads that share it and the queries that see it;
 * the queries and their output gradients are staged 16 at a time in workgroup memory and
 * taken 4 at a time.
 *   dV_j = Σ p_tj dO_t;  dK_j = scale Σ dS_tj Q_t.
 */
export function attentionBackwardKeyValueWgsl(D: number): string {
  const D4 = Math.ceil(D / 4);
  return /* wgsl */ `${dims}
const D = ${D}u;
const D4 = ${D4}u;
const QB = ${keyBlock}u;
@group(0) @binding(1) var<storage, read> q: array<f32>;             // (T, Hq, D)
@group(0) @binding(2) var<storage, read> k: array<f32>;             // (P + T, Hkv, D)
@group(0) @binding(3) var<storage, read> v: array<f32>;             // (P + T, Hkv, D)
@group(0) @binding(4) var<storage, read> dout: array<f32>;          // (T, Hq, D)
@group(0) @binding(5) var<storage, read> lse: array<f32>;           // (Hq, T)
@group(0) @binding(6) var<storage, read> delta: array<f32>;         // (Hq, T)
@group(0) @binding(7) var<storage, read_write> dk: array<f32>;      // (P + T, Hkv, D)
@group(0) @binding(8) var<storage, read_write> dv: array<f32>;      // (P + T, Hkv, D)

var<workgroup> qTile: array<vec4f, ${keyBlock * D4}>;  // (QB, D4), scaled
var<workgroup> doTile: array<vec4f, ${keyBlock * D4}>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let kvHead = wg.y;
  let L = dims.P + dims.T;
  let j = wg.x * 64u + lid.x;
  let isKey = j < L;
  let groupSize = dims.Hq / dims.Hkv;
  // Query t sees key j when P + t >= j: the workgroup's first key is seen from t = j0 − P on.
  let j0 = wg.x * 64u;
  var tFirst = 0u;
  if (j0 > dims.P) { tFirst = j0 - dims.P; }
  var kv: array<vec4f, D4>;
  var vv: array<vec4f, D4>;
  var dkv: array<vec4f, D4>;
  var dvv: array<vec4f, D4>;
  if (isKey) {
    let base = (j * dims.Hkv + kvHead) * D;
    for (var e = 0u; e < D4; e++) {
      kv[e] = ${rowVec4('k', 'base', D)};
      vv[e] = ${rowVec4('v', 'base', D)};
    }
  }
  for (var g = 0u; g < groupSize; g++) {
    let h = kvHead * groupSize + g;
    for (var t0 = tFirst; t0 < dims.T; t0 += QB) {
      ${stageTiles(D, 't0', 'dims.T', '(r * dims.Hq + h) * D', ['qTile', 'q', ' * dims.scale'], ['doTile', 'dout'])}
      workgroupBarrier();
      if (isKey) {
        for (var tt = 0u; tt < QB; tt += 4u) {
          let t = t0 + tt;
          var s = vec4f(0.0);
          var dp = vec4f(0.0);
          for (var e = 0u; e < D4; e++) {
            let ke = kv[e];
            let ve = vv[e];
            s += ${dots4('ke', 'qTile', 'tt')};
            dp += ${dots4('ve', 'doTile', 'tt')};
          }
          let ts = vec4u(t, t + 1u, t + 2u, t + 3u);
          // Query t sees key j when P + t >= j, and exists when t < T.
          let sees = (ts < vec4u(dims.T)) & (vec4u(dims.P) + ts >= vec4u(j));
          // (Read where they are: two more tiles would pass the 16 KiB every device has at D = 128.)
          let row = h * dims.T;
          let last = dims.T - 1u;
          let lseV = vec4f(lse[row + min(t, last)], lse[row + min(t + 1u, last)], lse[row + min(t + 2u, last)], lse[row + min(t + 3u, last)]);
          let deltaV = vec4f(delta[row + min(t, last)], delta[row + min(t + 1u, last)], delta[row + min(t + 2u, last)], delta[row + min(t + 3u, last)]);
          let p = select(vec4f(0.0), exp(s - lseV), sees);
          let ds = p * (dp - deltaV);
          for (var e = 0u; e < D4; e++) {
            dvv[e] += ${weighted4('p', 'doTile', 'tt')};
            dkv[e] += ${weighted4('ds', 'qTile', 'tt')};
          }
        }
      }
      workgroupBarrier();
    }
  }
  if (isKey) {
    let base = (j * dims.Hkv + kvHead) * D;
    for (var e = 0u; e < D4; e++) {
      ${storeVec4('dk', 'dkv[e]')} // the queries were staged scaled
      ${storeVec4('dv', 'dvv[e]')}
    }
  }
}
`;
}
