import type { PpoLossArgs } from '../../backend-types';
import type { Binding, GpuContext } from '../context';
import { ppoLossWgsl } from './ppo-loss.wgsl';

/** Records one sequence's PPO loss, its gradient and its figures (one workgroup; see ppo-loss.wgsl). */
export function encodePpoLoss(ctx: GpuContext, encoder: GPUCommandEncoder, a: PpoLossArgs<Binding>): void {
  if (a.offset + a.n > a.T)
    throw new Error(`ppo loss: the response [${a.offset}, ${a.offset + a.n}) is beyond ${a.T} log-probs`);
  const pipeline = ctx.programs.get('ppoLoss', 'f32', ppoLossWgsl);
  const uniforms = ctx.uniforms(
    [
      { u32: a.T },
      { u32: a.offset },
      { u32: a.n },
      { u32: a.slot },
      { f32: a.tokenCount },
      { f32: a.clipLow },
      { f32: a.clipHigh },
      { f32: a.dualClip },
      { f32: a.logRatioClamp },
    ],
    'ppo loss dims',
  );
  ctx.dispatch(encoder, pipeline, [uniforms, a.logprobs, a.inputs, a.dlogprobs, a.stats], [1]);
}
