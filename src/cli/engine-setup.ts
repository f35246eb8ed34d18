import type { Backend } from '../engine/backend';
import { CpuBackend } from '../engine/cpu/backend';
import { importPeft } from '../engine/peft';
import { loadQwen3 } from '../engine/load';
import type { LoraState, Qwen3Model } from '../engine/model';
import { folderFiles } from '../engine/node-files';
import { WebGpuBackend } from '../engine/webgpu/backend';
import { openEngineDevice } from '../engine/webgpu/device';
import { nodeGpu } from '../engine/webgpu/node-gpu';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { choiceOption, type OptionSpec } from './command';

export const backendChoices = ['webgpu', 'cpu'] as const;
export type BackendChoice = (typeof backendChoices)[number];

export const backendOptionSpec = { backend: { type: 'string' } } as const satisfies OptionSpec;
export const backendOptionHelp = '  --backend B   webgpu or cpu (default: webgpu when an adapter is found, else cpu)';

/** Code that works with whichever backend was chosen. */
export interface WithBackend<R> {
  run<T>(backend: Backend<T>): Promise<R>;
}

/** Opens the chosen backend (or the default) and runs `user` with it; says which on stderr. */
export async function withBackend<R>(
  choice: string | undefined,
  log: (line: string) => void,
  user: WithBackend<R>,
): Promise<R> {
  const wanted = choice === undefined ? undefined : choiceOption('backend', choice, backendChoices, 'cpu');
  if (wanted !== 'cpu') {
    const gpu = await nodeGpu();
    if (gpu !== undefined || wanted === 'webgpu') {
      try {
        const device = await openEngineDevice(gpu);
        log(`backend: webgpu on ${device.adapterName}`);
        try {
          return await user.run(new WebGpuBackend(device));
        } finally {
          device.destroy();
        }
      } catch (err) {
        if (wanted === 'webgpu') throw err;
        log(`backend: no usable WebGPU adapter (${err instanceof Error ? err.message : String(err)}); using the CPU`);
      }
    }
  }
  log('backend: cpu');
  return user.run(new CpuBackend());
}

/** A model folder on disk, with an optional PEFT adapter folder, on a backend. */
export async function loadModelWithAdapter<T>(
  backend: Backend<T>,
  modelDir: string,
  adapterDir?: string,
): Promise<{ model: Qwen3Model<T>; lora?: LoraState<T> }> {
  const model = await loadQwen3(backend, folderFiles(modelDir));
  if (adapterDir === undefined) return { model };
  const config: unknown = JSON.parse(await readFile(join(adapterDir, 'adapter_config.json'), 'utf8'));
  const { layout, params } = await importPeft(
    config,
    await readFile(join(adapterDir, 'adapter_model.safetensors')),
    model.config,
  );
  return {
    model,
    lora: { layout, params: backend.upload(params, 'lora'), grads: backend.zeros(layout.size, 'lora grads') },
  };
}
