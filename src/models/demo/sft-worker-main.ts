// A gradient worker of the demo models' training (see ScratchModel.train).
import { CpuBackend } from '../../engine/cpu/backend';
import type { Floats } from '../../engine/cpu/floats';
import { parentEndpoint } from '../../core/rpc/node-worker';
import { serve } from '../../core/rpc/rpc';
import type { SftWorkerProtocol } from './sft-worker-protocol';
import type { SftExample } from './sft-worker-protocol';
import { ScratchModel } from './train-from-scratch';

let model: ScratchModel<Floats> | undefined;
let data: SftExample[] = [];

serve<SftWorkerProtocol>(parentEndpoint(), {
  async init(request) {
    model = new ScratchModel(new CpuBackend(), request.config, new Map(request.tensors));
    data = request.data;
    return null;
  },
  async gradients({ params, examples, tokenCount }, context) {
    if (model === undefined) throw new Error('gradients before init');
    model.setProjections(params);
    const result = await model.gradients(
      examples.map((i) => data[i]),
      tokenCount,
    );
    const grads = await model.readGradients();
    context.transferResponse([grads.buffer]);
    return { grads, ...result };
  },
});
