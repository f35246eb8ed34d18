import { weightWgsl, type WeightKind } from './weight-read.wgsl';

/**
 * Embedding gather from one shard of the table: out[t] = shard[ids[t] − v0] for ids inside
 * the shard. The shard may be f16 or quantized (./weight-read.wgsl; its scales at binding 4,
 * G values to a scale).
 */
export function embeddingWgsl(kind: WeightKind): string {
  return /* wgsl */ `
struct Dims { T: u32, C: u32, v0: u32, rows: u32, G: u32 }
@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> ids: array<u32>;          // (T)
${weightWgsl('shard', kind, 2, 4, 'dims.G', false)}
@group(0) @binding(3) var<storage, read_write> out: array<f32>;    // (T, C)

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.y * nwg.x * 256u + gid.x;
  if (i >= dims.T * dims.C) { return; }
  let t = i / dims.C;
  let id = ids[t];
  if (id < dims.v0 || id >= dims.v0 + dims.rows) { return; }
  out[i] = read_shard((id - dims.v0) * dims.C + i % dims.C);
}
`;
}

/** x += delta (the residual connection), one thread per element. */
export function residualAddWgsl(): string {
  return /* wgsl */ `
struct Dims { n: u32, unused: u32 }
@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> delta: array<f32>;
@group(0) @binding(2) var<storage, read_write> x: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.y * nwg.x * 256u + gid.x;
  if (i >= dims.n) { return; }
  x[i] += delta[i];
}
`;
}
