/**
 * Picks the next token from one logits row, as ../../sampling.ts does on the CPU, in one
 * workgroup so decoding needs no logits on the CPU.
 *
 * The CPU sorts the vocabulary by (logit descending, index ascending) and walks it. Sorting
 * 151,936 values in one workgroup is slow, so the kernel never sorts: every walk the CPU makes
 * ("the first token whose running total reaches x": the k-th token for top-k, the nucleus edge
 * for top-p, the drawn token) is found by search on the order itself. A position in the
 * order is (key, index), key the logit as a u32 that sorts like the float; the running total
 * up to a position is one reduction over the vocabulary, monotone in the position. So each
 * walk costs about 16 + 2 reductions (a four-way search on the key, then the index among
 * equal logits, which is nearly always one token).
 *
 * Greedy (temperature ≤ 0) is the first maximum, as on the CPU. The log-prob is that of the
 * temperature-1, unfiltered softmax, as the CPU path reports.
 */
export const sampleWorkgroup = 256;

export function sampleTokenWgsl(): string {
  return /* wgsl */ `
struct Params { V: u32, topK: u32, temperature: f32, topP: f32, u: f32, _a: u32, _b: u32, _c: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;        // (V)
@group(0) @binding(2) var<storage, read_write> result: array<f32>;  // (2) id, log-prob
@group(0) @binding(3) var<storage, read_write> next: array<u32>;    // (1) the id, as the next step's token id
@group(0) @binding(4) var<storage, read_write> keys: array<u32>;    // (V) scratch: logits as ordered u32
@group(0) @binding(5) var<storage, read_write> weights: array<f32>; // (V) scratch: exp((l − max) / temperature)

const WG = ${sampleWorkgroup}u;
const ALL = 0xffffffffu;
var<workgroup> redF: array<f32, ${sampleWorkgroup}>;
var<workgroup> redU: array<u32, ${sampleWorkgroup}>;
var<workgroup> redV: array<vec4f, ${sampleWorkgroup}>;
var<workgroup> shareV: vec4f;
var<workgroup> shareF: f32;
var<workgroup> shareU: u32;

/** A u32 that orders like the float: flip every bit of a negative, the sign bit of a positive. */
fn ordered(x: f32) -> u32 {
  let b = bitcast<u32>(x);
  return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}

fn sumF(lid: u32, v: f32) -> f32 {
  redF[lid] = v;
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    workgroupBarrier();
    if (lid < s) { redF[lid] += redF[lid + s]; }
  }
  workgroupBarrier();
  if (lid == 0u) { shareF = redF[0]; }
  return workgroupUniformLoad(&shareF);
}

fn sumV(lid: u32, v: vec4f) -> vec4f {
  redV[lid] = v;
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    workgroupBarrier();
    if (lid < s) { redV[lid] += redV[lid + s]; }
  }
  workgroupBarrier();
  if (lid == 0u) { shareV = redV[0]; }
  return workgroupUniformLoad(&shareV);
}

fn minU(lid: u32, v: u32) -> u32 {
  redU[lid] = v;
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    workgroupBarrier();
    if (lid < s) { redU[lid] = min(redU[lid], redU[lid + s]); }
  }
  workgroupBarrier();
  if (lid == 0u) { shareU = redU[0]; }
  return workgroupUniformLoad(&shareU);
}

/** The first maximum: (value, index), index V when every logit is −∞ or NaN. */
fn argmax(lid: u32) -> vec2u {
  var best = bitcast<f32>(0xff7fffffu); // the lowest finite f32
  var at = params.V;
  for (var i = lid; i < params.V; i += WG) {
    let l = logits[i];
    if (l > best || (l == best && at == params.V)) { best = l; at = i; }
  }
  redF[lid] = best;
  redU[lid] = at;
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    workgroupBarrier();
    if (lid < s) {
      let o = redF[lid + s];
      let oi = redU[lid + s];
      if (o > redF[lid] || (o == redF[lid] && oi < redU[lid])) { redF[lid] = o; redU[lid] = oi; }
    }
  }
  workgroupBarrier();
  if (lid == 0u) { shareF = redF[0]; shareU = redU[0]; }
  // Both loads are uniform: the searches below loop on them around barriers.
  let value = workgroupUniformLoad(&shareF);
  let index = workgroupUniformLoad(&shareU);
  return vec2u(bitcast<u32>(value), index);
}

/** Token i is kept when it is at or before position (cutK, cutI) of the order. */
fn atOrBefore(i: u32, key: u32, K: u32, I: u32) -> bool {
  return key > K || (key == K && i <= I);
}

/** The running total (count or weight) of the kept tokens up to position (K, I). */
fn total(lid: u32, K: u32, I: u32, cutK: u32, cutI: u32, count: bool) -> f32 {
  var acc = 0.0;
  for (var i = lid; i < params.V; i += WG) {
    let key = keys[i];
    if (atOrBefore(i, key, cutK, cutI) && atOrBefore(i, key, K, I)) {
      acc += select(weights[i], 1.0, count);
    }
  }
  return sumF(lid, acc);
}

/** total(K_j, ALL) for four keys in one pass: the same sums, component by component. */
fn totals4(lid: u32, K: vec4u, cutK: u32, cutI: u32, count: bool) -> vec4f {
  var acc = vec4f(0.0);
  for (var i = lid; i < params.V; i += WG) {
    let key = keys[i];
    if (atOrBefore(i, key, cutK, cutI)) {
      acc += select(vec4f(0.0), vec4f(select(weights[i], 1.0, count)), vec4u(key) >= K);
    }
  }
  return sumV(lid, acc);
}

/**
 * The first kept position whose running total reaches target (at most the kept total, and
 * > 0; first = the first position of the order).
 */
fn walk(lid: u32, aim: f32, cutK: u32, cutI: u32, count: bool, first: vec2u) -> vec2u {
  let whole = total(lid, 0u, ALL, cutK, cutI, count);
  let goal = min(aim, whole);
  if (!(goal > 0.0)) { return first; }
  // The largest key whose tokens at or above it reach the goal: the drawn token has that key.
  // Four probes per pass, spread over (lo, hi], the last at hi: about 16 passes, not 32.
  var lo = 0u;
  var hi = first.x;
  while (lo < hi) {
    let q = (hi - lo) >> 2u;
    let r = (hi - lo) & 3u;
    let probe = vec4u(lo) + q * vec4u(1u, 2u, 3u, 4u) + min(vec4u(1u, 2u, 3u, 4u), vec4u(r));
    let reach = totals4(lid, probe, cutK, cutI, count) >= vec4f(goal);
    if (reach.w) { lo = probe.w; }
    else if (reach.z) { lo = probe.z; hi = probe.w - 1u; }
    else if (reach.y) { lo = probe.y; hi = probe.z - 1u; }
    else if (reach.x) { lo = probe.x; hi = probe.y - 1u; }
    else { hi = probe.x - 1u; }
  }
  // Among tokens with that key, the lowest index that reaches the goal (nearly always the only one).
  var smallest = ALL;
  for (var i = lid; i < params.V; i += WG) {
    if (keys[i] == lo && atOrBefore(i, lo, cutK, cutI)) { smallest = min(smallest, i); }
  }
  var a = minU(lid, smallest);
  var b = params.V - 1u;
  if (total(lid, lo, a, cutK, cutI, count) >= goal) { b = a; }
  while (a < b) {
    let mid = a + ((b - a) >> 1u);
    if (total(lid, lo, mid, cutK, cutI, count) >= goal) { b = mid; } else { a = mid + 1u; }
  }
  return vec2u(lo, a);
}

@compute @workgroup_size(${sampleWorkgroup})
fn main(@builtin(local_invocation_index) lid: u32) {
  let V = params.V;
  let best = argmax(lid);
  let maxLogit = bitcast<f32>(best.x);
  var id = select(best.y, 0u, best.y >= V);
  var expSum = 0.0;
  for (var i = lid; i < V; i += WG) { expSum += exp(logits[i] - maxLogit); }
  let lse = maxLogit + log(sumF(lid, expSum));

  if (params.temperature > 0.0) {
    // Each thread fills and later reads only its own entries: no storage barrier is needed.
    for (var i = lid; i < V; i += WG) {
      let l = logits[i];
      keys[i] = ordered(l);
      weights[i] = exp((l - maxLogit) / params.temperature);
    }
    let first = vec2u(ordered(maxLogit), id);
    var cutK = 0u;
    var cutI = ALL;
    if (params.topK > 0u && params.topK < V) {
      let kth = walk(lid, f32(params.topK), cutK, cutI, true, first);
      cutK = kth.x;
      cutI = kth.y;
    }
    if (params.topP < 1.0) {
      let mass = total(lid, 0u, ALL, cutK, cutI, false);
      let edge = walk(lid, params.topP * mass, cutK, cutI, false, first);
      cutK = edge.x;
      cutI = edge.y;
    }
    let mass = total(lid, 0u, ALL, cutK, cutI, false);
    id = walk(lid, params.u * mass, cutK, cutI, false, first).y;
  }

  if (lid == 0u) {
    result[0] = f32(id);
    result[1] = logits[id] - lse;
    next[0] = id;
  }
}
`;
}
