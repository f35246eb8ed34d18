/**
 * A throughput probe, not a kernel the model uses: every thread runs a long chain of
 * independent vec4 multiply-adds on registers, so the measured rate is close to the
 * adapter's f32 peak. The benchmark reports the matmul's GFLOP/s against it.
 */
export const peakIterations = 4096;

export function peakWgsl(): string {
  return /* wgsl */ `
@group(0) @binding(0) var<storage, read_write> sink: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  var a = vec4f(f32(gid.x) * 1e-9, 1.0, 2.0, 3.0);
  var b = vec4f(0.5, 0.25, 0.125, 0.0625);
  var c = vec4f(1e-7, 2e-7, 3e-7, 4e-7);
  var d = vec4f(0.999, 0.998, 0.997, 0.996);
  for (var i = 0u; i < ${peakIterations}u; i++) {
    a = fma(a, d, c);
    b = fma(b, d, c);
    c = fma(c, d, a);
    d = fma(d, a, b) * 1e-3 + vec4f(0.99);
  }
  sink[gid.x] = a.x + b.y + c.z + d.w;
}
`;
}

/** Floating-point operations of one thread of the probe: 4 vec4 FMAs (+1 mul, +1 add on d) per iteration. */
export const peakFlopsPerThread = peakIterations * (4 * 4 * 2 + 4 * 2);

/** vec4 loads per thread of the load probe (4 per iteration). */
export const loadProbeLoads = 1024;
/** Rows of the load probe's buffer: thread t reads row t % loadProbeRows, `loadProbeLoads` vec4s long. */
export const loadProbeRows = 256;

/**
 * The cost of a storage load, not a kernel either: every thread sums `loadProbeLoads`
 * consecutive vec4s of its own row, so neighbouring threads read different addresses, as a
 * matmul's threads read different weight rows. On SwiftShader such a load is a gather per
 * lane and component; the benchmark reports it against the FMA probe, which bounds every
 * kernel that reads each weight once (decode's matrix-vector products).
 */
export function loadProbeWgsl(): string {
  return /* wgsl */ `
@group(0) @binding(0) var<storage, read> rows: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> sink: array<vec4f>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let row = (gid.x % ${loadProbeRows}u) * ${loadProbeLoads}u;
  var s0 = vec4f(0.0);
  var s1 = vec4f(0.0);
  for (var i = 0u; i < ${loadProbeLoads}u; i += 4u) {
    s0 += rows[row + i];
    s1 += rows[row + i + 1u];
    s0 += rows[row + i + 2u];
    s1 += rows[row + i + 3u];
  }
  sink[gid.x] = s0 + s1;
}
`;
}
