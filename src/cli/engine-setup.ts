import { parseJsonFile } from '../core/json';
import type { Backend } from '../engine/backend';
import { importPeft } from '../engine/peft';
import { loadQwen3 } from '../engine/load';
import { createLoraState } from '../engine/lora-state';
import type { LoraState, Qwen3Model } from '../engine/model';
import { folderFiles } from '../engine/node-files';
import { backendChoices, openBackend, type BackendUser } from '../engine/open-backend';
import { nodeGpu } from '../engine/webgpu/node-gpu';
import { findAdapterName } from '../engine/webgpu/device';
import { defaultBackend } from '../engine/default-backend';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { choiceOption, numberOption, UsageError, type OptionSpec } from './command';
import type { WeightStorage } from '../engine/backend';
import { quantFormats } from '../engine/quantize';
import { defaultGroupSize, describeWeights } from '../engine/weight-format';

export const backendOptionSpec = {
  backend: { type: 'string' },
  weights: { type: 'string' },
} as const satisfies OptionSpec;
export const backendOptionHelp = `  --backend B   webgpu or cpu (default: webgpu on a GPU adapter; cpu where there is
                none or it is a software one such as SwiftShader, slower than the CPU)
  --weights F   how WebGPU stores the weights: f16, bf16 or f32 (default: f16 where the
                adapter has shader-f16, else bf16). bf16 changes no value: it takes the
                matrices of a checkpoint saved in bf16 and leaves others f32. The CPU
                backend keeps f32.`;

export const weightFormats = ['f16', 'bf16', 'f32'] as const;

/** Quantized weights, for commands that only score. */
export const quantizeOptionSpec = {
  quantize: { type: 'string' },
  'group-size': { type: 'string' },
} as const satisfies OptionSpec;
export const quantizeOptionHelp = `  --quantize Q           int8 (a scale per row) or int4 (a scale per group of values):
                         the weights quantized as they load, on either backend
  --group-size N         int4's values per scale (default ${defaultGroupSize}; a multiple of 8)`;

/** How the weights are to be stored, from --weights or --quantize; undefined leaves it to the backend. */
function weightStorageOption(options: BackendOptions): WeightStorage | undefined {
  if (options.quantize !== undefined) {
    if (options.weights !== undefined) throw new UsageError('--weights and --quantize exclude each other');
    const format = choiceOption('quantize', options.quantize, quantFormats, 'int8');
    const groupSize = numberOption('group-size', options['group-size'], defaultGroupSize);
    return format === 'int4' ? { format, groupSize } : { format };
  }
  if (options['group-size'] !== undefined) throw new UsageError('--group-size goes with --quantize int4');
  return options.weights === undefined
    ? undefined
    : { format: choiceOption('weights', options.weights, weightFormats, 'f32') };
}

/** The options withBackend reads. */
export interface BackendOptions {
  backend?: string;
  weights?: string;
  quantize?: string;
  'group-size'?: string;
}

/**
 * Opens the chosen backend (or the default, by ../engine/default-backend's rule: WebGPU on a
 * GPU adapter, else the CPU) and runs `user` on it once; says which and why on stderr. Without
 * --backend, only a failure to open the device falls back to the CPU: an error of the work
 * itself is reported as is.
 */
export async function withBackend<R>(
  options: BackendOptions,
  log: (line: string) => void,
  user: BackendUser<R>,
): Promise<R> {
  const wanted =
    options.backend === undefined ? undefined : choiceOption('backend', options.backend, backendChoices, 'cpu');
  const weights = weightStorageOption(options);
  const gpu = wanted === 'cpu' ? undefined : await nodeGpu();
  const byDefault = wanted === undefined ? defaultBackend(await findAdapterName(gpu)) : undefined;
  const why = byDefault === undefined ? ' (--backend)' : ` (default: ${byDefault.reason})`;
  const opened = await openBackend(
    {
      choice: wanted ?? byDefault?.choice ?? 'cpu',
      gpu,
      fallBackToCpu: wanted === undefined,
      ...(weights !== undefined ? { weights } : {}),
    },
    {
      run: (backend, how) => {
        const quantized = how.weights.format.startsWith('int') ? `, weights in ${describeWeights(how.weights)}` : '';
        if (how.fallback !== undefined) log(`backend: cpu${quantized} (${how.fallback})`);
        else
          log(
            how.device === 'CPU'
              ? `backend: cpu${quantized}${why}`
              : `backend: webgpu on ${how.device}, weights in ${describeWeights(how.weights)}${how.weights.format === 'bf16' ? ' (those saved in bf16; others f32)' : ''}${why}`,
          );
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
  const configPath = join(adapterDir, 'adapter_config.json');
  const config = parseJsonFile(await readFile(configPath, 'utf8'), configPath);
  const { layout, params } = await importPeft(
    config,
    await readFile(join(adapterDir, 'adapter_model.safetensors')),
    model.config,
  );
  return { model, lora: createLoraState(backend, layout, params) };
}
