/** The teacher worker: a model that scores the student's tokens (τ) and lists its own top alternatives. */
import { topAlternatives } from '../engine/alternatives';
import { Decoder, EngineScorer } from '../engine/inference';
import type { Qwen3Model } from '../engine/model';
import type { EngineDevice } from '../engine/webgpu/device';
import { openAndLoad, planFor, type PlanBasis, type WorkerEnvironment } from './engine-host';
import { loadOnnxTeacher } from './onnx-host';
import type { ScorerProtocol, TeacherProtocol } from './protocols';
import { serve, type Handlers } from '../core/rpc/rpc';

function scorerOn<T>(model: Qwen3Model<T>, name: string): Handlers<ScorerProtocol> {
  const scorer = new EngineScorer(name, model);
  const decoder = new Decoder(model);
  return {
    score: async ({ promptIds, responseIds }, { signal }) =>
      Array.from(await scorer.scoreTokens(promptIds, responseIds, signal)),
    alternatives: ({ promptIds, responseIds, k }, { signal }) =>
      topAlternatives(decoder, promptIds, responseIds, k, signal),
  };
}

export function teacherHandlers(env: WorkerEnvironment): Handlers<TeacherProtocol> {
  let scorer: Handlers<ScorerProtocol> | undefined;
  let planBasis: PlanBasis | undefined;
  let device: EngineDevice | undefined;
  let unload: (() => Promise<void>) | undefined;
  let engineBytes: (() => number) | undefined;
  const need = (): Handlers<ScorerProtocol> => {
    if (scorer === undefined) throw new Error('load a teacher model first');
    // A lost device fails every call with its message, rather than computing on nothing.
    device?.check();
    return scorer;
  };
  // What the student's port is served: the current teacher, whichever is loaded when a call arrives.
  const forwarded: Handlers<ScorerProtocol> = {
    score: (request, context) => need().score(request, context),
    alternatives: (request, context) => need().alternatives(request, context),
  };
  return {
    async load(request, { progress, signal }) {
      scorer = undefined;
      planBasis = undefined;
      engineBytes = undefined;
      device?.destroy();
      device = undefined;
      await unload?.();
      unload = undefined;
      if (request.runtime?.kind === 'onnx') {
        const onnx = await loadOnnxTeacher(request, request.runtime.dtype, env, progress, signal);
        scorer = onnx.handlers;
        unload = onnx.dispose;
        return onnx.loaded;
      }
      const opened = await openAndLoad(request, undefined, env, progress, signal, {
        use: async (backend, model, loaded) => {
          engineBytes = () => backend.liveBytes;
          return { handlers: scorerOn(model, request.source.name), loaded };
        },
      });
      device = opened.device;
      scorer = opened.result.handlers;
      planBasis = opened.planBasis;
      return opened.result.loaded;
    },
    async plan(request) {
      if (planBasis === undefined)
        throw new Error(
          unload !== undefined
            ? 'an ONNX teacher has no memory plan: onnxruntime manages its memory'
            : 'load a teacher model first',
        );
      return planFor(planBasis, 'teacher', request);
    },
    async memory() {
      return { engineBytes: engineBytes?.() };
    },
    async connect({ port }) {
      serve<ScorerProtocol>(port, forwarded);
      port.start();
      return null;
    },
    ...forwarded,
  };
}
