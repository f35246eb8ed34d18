/**
 * Rotary position embedding in Hugging Face's rotate_half layout: for a head of D values
 * and i < D/2, with angle = p · θ^(−2i/D) at position p = offset + t,
 *   out[i] = x[i]·cos − x[i + D/2]·sin,   out[i + D/2] = x[i + D/2]·cos + x[i]·sin.
 * The backward is the rotation by −angle. In place: one thread per (token, head, i).
 * cos and sin come from a table computed in float64 on the CPU: WGSL's sin/cos may be off
 * by 2^-11, too coarse to match the reference.
 */
export function ropeWgsl(direction: 'forward' | 'backward'): string {
  const sign = direction === 'forward' ? '1.0' : '-1.0';
  return /* wgsl */ `
struct Dims { T: u32, heads: u32, D: u32, offset: u32 }
@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;  // (T, heads, D)
@group(0) @binding(2) var<storage, read> table: array<f32>;    // (positions, D/2, 2): cos, sin

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let half = dims.D / 2u;
  let i = gid.y * nwg.x * 256u + gid.x;
  if (i >= dims.T * dims.heads * half) { return; }
  let j = i % half;
  let row = i / half; // token · heads + head
  let position = dims.offset + row / dims.heads;
  let c = table[(position * half + j) * 2u];
  let s = ${sign} * table[(position * half + j) * 2u + 1u];
  let a = x[row * dims.D + j];
  let b = x[row * dims.D + j + half];
  x[row * dims.D + j] = a * c - b * s;
  x[row * dims.D + j + half] = b * c + a * s;
}
`;
}
