/**
 * The log-softmax over the vocabulary fused with the gather of the chosen token, computed
 * chunk by chunk so no [T × vocab] tensor exists: for a chunk of tokens and a shard of
 * vocabulary rows, the logits (rows, Vs) come from a matmul; `reduce` folds them into a
 * running (max, Σexp, target logit) per token; `finalize` writes log p(target) and the
 * log-sum-exp; `gradient` turns recomputed logits into dlogits = g · (onehot − softmax).
 */
const dims = /* wgsl */ `
struct Dims { rows: u32, Vs: u32, v0: u32, rowOffset: u32, first: u32 }
@group(0) @binding(0) var<uniform> dims: Dims;
`;

const workgroupMax = /* wgsl */ `
var<workgroup> scratch: array<f32, 256>;

fn reduceMax(value: f32, lane: u32) -> f32 {
  scratch[lane] = value;
  workgroupBarrier();
  for (var stride = 128u; stride > 0u; stride >>= 1u) {
    if (lane < stride) { scratch[lane] = max(scratch[lane], scratch[lane + stride]); }
    workgroupBarrier();
  }
  let out = scratch[0];
  workgroupBarrier();
  return out;
}

fn reduceSum(value: f32, lane: u32) -> f32 {
  scratch[lane] = value;
  workgroupBarrier();
  for (var stride = 128u; stride > 0u; stride >>= 1u) {
    if (lane < stride) { scratch[lane] += scratch[lane + stride]; }
    workgroupBarrier();
  }
  let out = scratch[0];
  workgroupBarrier();
  return out;
}
`;

/** One workgroup per token row: merge this shard's (max, Σexp, target) into the running state. */
export function vocabReduceWgsl(): string {
  return /* wgsl */ `${dims}
@group(0) @binding(1) var<storage, read> logits: array<f32>;        // (rows, Vs)
@group(0) @binding(2) var<storage, read> targets: array<u32>;       // (T)
@group(0) @binding(3) var<storage, read_write> state: array<f32>;   // (rows, 3): max, Σexp, target logit
${workgroupMax}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let row = wg.y * nwg.x + wg.x;
  if (row >= dims.rows) { return; }
  let base = row * dims.Vs;
  var m = -3.0e38;
  for (var v = lid.x; v < dims.Vs; v += 256u) { m = max(m, logits[base + v]); }
  m = reduceMax(m, lid.x);
  var s = 0.0;
  for (var v = lid.x; v < dims.Vs; v += 256u) { s += exp(logits[base + v] - m); }
  s = reduceSum(s, lid.x);
  if (lid.x == 0u) {
    let tgt = targets[dims.rowOffset + row];
    var targetLogit = state[row * 3u + 2u];
    if (tgt >= dims.v0 && tgt < dims.v0 + dims.Vs) { targetLogit = logits[base + tgt - dims.v0]; }
    if (dims.first != 0u) {
      state[row * 3u] = m;
      state[row * 3u + 1u] = s;
    } else {
      let mOld = state[row * 3u];
      let mNew = max(mOld, m);
      state[row * 3u + 1u] = state[row * 3u + 1u] * exp(mOld - mNew) + s * exp(m - mNew);
      state[row * 3u] = mNew;
    }
    state[row * 3u + 2u] = targetLogit;
  }
}
`;
}

/** logprob = target logit − lse, lse = max + log Σexp; one thread per token. */
export function vocabFinalizeWgsl(): string {
  return /* wgsl */ `${dims}
@group(0) @binding(1) var<storage, read> state: array<f32>;            // (rows, 3)
@group(0) @binding(2) var<storage, read_write> logprobs: array<f32>;   // (T)
@group(0) @binding(3) var<storage, read_write> lse: array<f32>;        // (T)

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let row = gid.x;
  if (row >= dims.rows) { return; }
  let l = state[row * 3u] + log(state[row * 3u + 1u]);
  lse[dims.rowOffset + row] = l;
  logprobs[dims.rowOffset + row] = state[row * 3u + 2u] - l;
}
`;
}

/** In place: logits → dlogits = g_t · (1[v = target] − exp(logit − lse_t)); one thread per element. */
export function vocabGradientWgsl(): string {
  return /* wgsl */ `${dims}
@group(0) @binding(1) var<storage, read_write> logits: array<f32>;  // (rows, Vs) → dlogits
@group(0) @binding(2) var<storage, read> targets: array<u32>;       // (T)
@group(0) @binding(3) var<storage, read> lse: array<f32>;           // (T)
@group(0) @binding(4) var<storage, read> dlogprobs: array<f32>;     // (T)

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.y * nwg.x * 256u + gid.x;
  if (i >= dims.rows * dims.Vs) { return; }
  let row = i / dims.Vs;
  let v = i % dims.Vs;
  let t = dims.rowOffset + row;
  var onehot = 0.0;
  if (targets[t] == dims.v0 + v) { onehot = 1.0; }
  logits[i] = dlogprobs[t] * (onehot - exp(logits[i] - lse[t]));
}
`;
}
