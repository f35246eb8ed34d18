/** SwiGLU: out = silu(gate) · up, silu(g) = g · σ(g); one thread per element. */
const header = /* wgsl */ `
struct Dims { n: u32, accumulate: u32 }
@group(0) @binding(0) var<uniform> dims: Dims;

fn sigmoid(x: f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }

fn index(gid: vec3u, nwg: vec3u) -> u32 { return (gid.y * nwg.x * 256u) + gid.x; }
`;

export function swigluForwardWgsl(): string {
  return /* wgsl */ `${header}
@group(0) @binding(1) var<storage, read> gate: array<f32>;       // (n)
@group(0) @binding(2) var<storage, read> up: array<f32>;         // (n)
@group(0) @binding(3) var<storage, read_write> out: array<f32>;  // (n)

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i >= dims.n) { return; }
  let g = gate[i];
  out[i] = g * sigmoid(g) * up[i];
}
`;
}

/** dgate = dout · up · σ(g)(1 + g(1 − σ(g))), dup = dout · silu(g). */
export function swigluBackwardWgsl(): string {
  return /* wgsl */ `${header}
@group(0) @binding(1) var<storage, read> dout: array<f32>;        // (n)
@group(0) @binding(2) var<storage, read> gate: array<f32>;        // (n)
@group(0) @binding(3) var<storage, read> up: array<f32>;          // (n)
@group(0) @binding(4) var<storage, read_write> dgate: array<f32>; // (n)
@group(0) @binding(5) var<storage, read_write> dup: array<f32>;   // (n)

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i >= dims.n) { return; }
  let g = gate[i];
  let s = sigmoid(g);
  var dg = dout[i] * up[i] * s * (1.0 + g * (1.0 - s));
  var du = dout[i] * g * s;
  if (dims.accumulate != 0u) { dg += dgate[i]; du += dup[i]; }
  dgate[i] = dg;
  dup[i] = du;
}
`;
}
