import type { Backend } from '../engine/backend';
import { importPeft } from '../engine/peft';
import { loadQwen3 } from '../engine/load';
import { createLoraState } from '../engine/lora-state';
import type { LoraState, Qwen3Model } from '../engine/model';
import { folderFiles } from '../engine/node-files';
import { backendChoices, openBackend, type BackendUser } from '../engine/open-backend';
import { nodeGpu } from '../engine/webgpu/node-gpu';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { choiceOption, type OptionSpec } from './command';

export const backendOptionSpec = {
  backend: { type: 'string' },
  weights: { type: 'string' },
} as const satisfies OptionSpec;
export const backendOptionHelp = `  --backend B   webgpu or cpu (default: webgpu when an adapter is found, else cpu)
  --weights F   how WebGPU stores the weights: f16 or f32 (default: f16 where the adapter
                has shader-f16, else f32; the CPU backend keeps f32)`;

export const weightFormats = ['f16', 'f32'] as const;

/**
 * Opens the chosen backend (or the default: WebGPU when the `webgpu` package finds an adapter,
 * else the CPU) and runs `user` on it once; says which on stderr. Without --backend, only a
 * failure to open the device falls back to the CPU: an error of the work itself is reported as is.
 */
export async function withBackend<R>(
  options: { backend?: string; weights?: string },
  log: (line: string) => void,
  user: BackendUser<R>,
): Promise<R> {
  const wanted =
    options.backend === undefined ? undefined : choiceOption('backend', options.backend, backendChoices, 'cpu');
  const weights =
    options.weights === undefined ? undefined : choiceOption('weights', options.weights, weightFormats, 'f32');
  const gpu = wanted === 'cpu' ? undefined : await nodeGpu();
  const opened = await openBackend(
    {
      choice: wanted ?? (gpu === undefined ? 'cpu' : 'webgpu'),
      gpu,
      fallBackToCpu: wanted === undefined,
      ...(weights !== undefined ? { weights } : {}),
    },
    {
      run: (backend, how) => {
        if (how.fallback !== undefined) log(`backend: cpu (${how.fallback})`);
        else log(how.device === 'CPU' ? 'backend: cpu' : `backend: webgpu on ${how.device}, weights in ${how.weights}`);
        return user.run(backend, how);
      },
    },
  );
  opened.device?.destroy();
  return opened.result;
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
  return { model, lora: createLoraState(backend, layout, params) };
}
