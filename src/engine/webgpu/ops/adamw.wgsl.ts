/**
 * Gradient-norm reduction and the AdamW update over the flat buffers that hold every
 * trainable (LoRA) parameter, its gradient and the two moments. The clip factor
 * min(1, maxNorm / ‖g‖) is computed on the GPU from the reduced norm, so a training step
 * never waits for a read-back; the norm stays in a buffer for the UI to read when it likes.
 */

/** Pass 1: each 256-thread workgroup writes the sum of squares of its slice to partials[wg]. */
export function sumSquaresWgsl(): string {
  return /* wgsl */ `
struct Dims { n: u32, perGroup: u32 }
@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> grads: array<f32>;            // (n)
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;   // (workgroups)

var<workgroup> scratch: array<f32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let start = wg.x * dims.perGroup;
  let end = min(start + dims.perGroup, dims.n);
  var sum = 0.0;
  for (var i = start + lid.x; i < end; i += 256u) { sum += grads[i] * grads[i]; }
  scratch[lid.x] = sum;
  workgroupBarrier();
  for (var stride = 128u; stride > 0u; stride >>= 1u) {
    if (lid.x < stride) { scratch[lid.x] += scratch[lid.x + stride]; }
    workgroupBarrier();
  }
  if (lid.x == 0u) { partials[wg.x] = scratch[0]; }
}
`;
}

/** Pass 2: one workgroup sums the partials; norm[0] = ‖g‖. */
export function finishNormWgsl(): string {
  return /* wgsl */ `
struct Dims { count: u32, unused: u32 }
@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> partials: array<f32>;
@group(0) @binding(2) var<storage, read_write> norm: array<f32>;

var<workgroup> scratch: array<f32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_id) lid: vec3u) {
  var sum = 0.0;
  for (var i = lid.x; i < dims.count; i += 256u) { sum += partials[i]; }
  scratch[lid.x] = sum;
  workgroupBarrier();
  for (var stride = 128u; stride > 0u; stride >>= 1u) {
    if (lid.x < stride) { scratch[lid.x] += scratch[lid.x + stride]; }
    workgroupBarrier();
  }
  if (lid.x == 0u) { norm[0] = sqrt(scratch[0]); }
}
`;
}

/**
 * AdamW with bias correction and decoupled weight decay, one thread per parameter (none when
 * ‖g‖ is NaN or infinite):
 *   g ← g · min(1, maxNorm/‖g‖);  m ← β1 m + (1−β1) g;  v ← β2 v + (1−β2) g²;
 *   p ← p − lr · (m/c1 / (√(v/c2) + ε) + wd · p),  c1 = 1 − β1^t, c2 = 1 − β2^t.
 */
export function adamwWgsl(): string {
  return /* wgsl */ `
struct Dims { n: u32, lr: f32, beta1: f32, beta2: f32, eps: f32, weightDecay: f32, correction1: f32, correction2: f32, maxNorm: f32 }
@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read_write> params: array<f32>;  // (n)
@group(0) @binding(2) var<storage, read> grads: array<f32>;         // (n)
@group(0) @binding(3) var<storage, read_write> m: array<f32>;       // (n)
@group(0) @binding(4) var<storage, read_write> v: array<f32>;       // (n)
@group(0) @binding(5) var<storage, read> norm: array<f32>;          // (1)

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.y * nwg.x * 256u + gid.x;
  if (i >= dims.n) { return; }
  // A NaN or infinite norm (all exponent bits set) skips the step. Checked on the bits: WGSL may
  // assume floats are finite, so a comparison could be folded away.
  if ((bitcast<u32>(norm[0]) & 0x7f800000u) == 0x7f800000u) { return; }
  var clip = 1.0;
  if (dims.maxNorm > 0.0 && norm[0] > dims.maxNorm) { clip = dims.maxNorm / norm[0]; }
  let g = grads[i] * clip;
  let mi = dims.beta1 * m[i] + (1.0 - dims.beta1) * g;
  let vi = dims.beta2 * v[i] + (1.0 - dims.beta2) * g * g;
  m[i] = mi;
  v[i] = vi;
  let update = (mi / dims.correction1) / (sqrt(vi / dims.correction2) + dims.eps);
  params[i] = params[i] - dims.lr * (update + dims.weightDecay * params[i]);
}
`;
}
