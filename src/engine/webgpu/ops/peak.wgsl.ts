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
