import { ppoStatsWidth } from '../../backend-types';

/**
 * The PPO dual-clip loss of one sequence and its gradient, where the log-probs are: one
 * workgroup walks the T positions (a sequence's response is at most a few thousand tokens),
 * writes ∂loss/∂logprobs and reduces the sequence's figures (the loss, clipped and dual-clipped
 * counts, Σ(s − log π), log-probs not finite) into stats[5 · slot …]. Per masked token, with
 * ratio = exp(clamp(log π − s, ±clamp)):
 *   loss_t = max(−A·ratio, −A·clip(ratio, 1 − clipLow, 1 + clipHigh)), and for A < 0 at most −A·dualClip;
 * the gradient is −A·ratio/tokenCount where the unclipped term is chosen and the clamp does
 * not hold, else 0. The same as src/sod/loss.ts's ppoLoss, which the CPU backend runs.
 */
export function ppoLossWgsl(): string {
  return /* wgsl */ `
struct Dims { T: u32, offset: u32, n: u32, slot: u32, tokenCount: f32, clipLow: f32, clipHigh: f32, dualClip: f32, logRatioClamp: f32 }
@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> logprobs: array<f32>;         // (T)
@group(0) @binding(2) var<storage, read> inputs: array<f32>;           // (3, n) s, A, mask
@group(0) @binding(3) var<storage, read_write> dlogprobs: array<f32>;  // (T)
@group(0) @binding(4) var<storage, read_write> stats: array<f32>;      // (${ppoStatsWidth} · slots)

var<workgroup> sums: array<vec4f, 256>;   // loss, clipped, dual-clipped, Σ(s − log π)
var<workgroup> bad: array<u32, 256>;

fn isFinite(x: f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_id) lid: vec3u) {
  var acc = vec4f(0.0);
  var nonFinite = 0u;
  let low = 1.0 - dims.clipLow;
  let high = 1.0 + dims.clipHigh;
  for (var t = lid.x; t < dims.T; t += 256u) {
    var grad = 0.0;
    if (t >= dims.offset && t < dims.offset + dims.n) {
      let i = t - dims.offset;
      let lp = logprobs[t];
      if (!isFinite(lp)) {
        nonFinite += 1u;
        // NaN (its bits: WGSL has no NaN constant), so the step's gradient norm is NaN and AdamW skips the step.
        grad = bitcast<f32>(0x7fc00000u | (dims.T & 0u));
      } else if (inputs[2u * dims.n + i] != 0.0) {
        let a = inputs[dims.n + i];
        let logRatio = lp - inputs[i];
        let clamped = clamp(logRatio, -dims.logRatioClamp, dims.logRatioClamp);
        let ratio = exp(clamped);
        var dLoss = select(0.0, -a * ratio, clamped == logRatio);
        var loss = -a * ratio;
        let clippedLoss = -a * clamp(ratio, low, high);
        var clipped = 0.0;
        var dual = 0.0;
        if (clippedLoss > loss) { clipped = 1.0; loss = clippedLoss; dLoss = 0.0; }
        if (a < 0.0 && loss > -a * dims.dualClip) { dual = 1.0; loss = -a * dims.dualClip; dLoss = 0.0; }
        acc += vec4f(loss, clipped, dual, -logRatio);
        grad = select(0.0, dLoss / dims.tokenCount, dims.tokenCount > 0.0);
      }
    }
    dlogprobs[t] = grad;
  }
  sums[lid.x] = acc;
  bad[lid.x] = nonFinite;
  workgroupBarrier();
  for (var stride = 128u; stride > 0u; stride >>= 1u) {
    if (lid.x < stride) {
      sums[lid.x] += sums[lid.x + stride];
      bad[lid.x] += bad[lid.x + stride];
    }
    workgroupBarrier();
  }
  if (lid.x == 0u) {
    let row = ${ppoStatsWidth}u * dims.slot; // the fields of ppoStatsFields, in order
    let total = sums[0];
    stats[row] = select(0.0, total.x / dims.tokenCount, dims.tokenCount > 0.0);
    stats[row + 1u] = total.y;
    stats[row + 2u] = total.z;
    stats[row + 3u] = total.w;
    stats[row + 4u] = f32(bad[0]);
  }
}
`;
}
