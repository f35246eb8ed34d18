import { describeJson } from '../core/json';
import type { Qwen3Config } from './config';
import { loraLayout, type LoraLayout } from './lora';
import { allLoraTargets, modulePath, type LoraTarget } from './params';
import { SafetensorsFile, writeSafetensors, type TensorToWrite } from './safetensors';

/** The two files of a PEFT LoRA adapter folder. */
export interface PeftAdapterFiles {
  'adapter_config.json': Record<string, unknown>;
  'adapter_model.safetensors': Uint8Array<ArrayBuffer>;
}

/** PEFT's key for one LoRA matrix of a Qwen3ForCausalLM. */
export function peftKey(layer: number, target: LoraTarget, matrix: 'lora_A' | 'lora_B'): string {
  return `base_model.model.model.layers.${layer}.${modulePath(target)}.${matrix}.weight`;
}

/** Writes the adapter as PEFT does: adapter_config.json and adapter_model.safetensors (A (r, in), B (out, r)). */
export function exportPeft(layout: LoraLayout, params: Float32Array, baseModel: string): PeftAdapterFiles {
  const r = layout.config.rank;
  const tensors: Record<string, TensorToWrite> = {};
  for (const s of layout.slots) {
    tensors[peftKey(s.layer, s.target, 'lora_A')] = {
      shape: [r, s.inDim],
      data: params.slice(s.aOffset, s.aOffset + r * s.inDim),
    };
    tensors[peftKey(s.layer, s.target, 'lora_B')] = {
      shape: [s.outDim, r],
      data: params.slice(s.bOffset, s.bOffset + s.outDim * r),
    };
  }
  return {
    'adapter_config.json': {
      peft_type: 'LORA',
      task_type: 'CAUSAL_LM',
      base_model_name_or_path: baseModel,
      r,
      lora_alpha: layout.config.alpha,
      lora_dropout: 0,
      target_modules: [...layout.config.targets],
      bias: 'none',
      fan_in_fan_out: false,
      use_rslora: false,
      use_dora: false,
      inference_mode: true,
      init_lora_weights: true,
      modules_to_save: null,
    },
    'adapter_model.safetensors': writeSafetensors(tensors, { metadata: { format: 'pt' } }),
  };
}

function isLoraTarget(name: string): name is LoraTarget {
  return allLoraTargets.some((t) => t === name);
}

/** Reads a PEFT LoRA adapter for a Qwen3 model into the engine's flat layout, naming anything it cannot use. */
export async function importPeft(
  adapterConfig: unknown,
  weights: Blob | Uint8Array,
  config: Qwen3Config,
): Promise<{ layout: LoraLayout; params: Float32Array }> {
  if (typeof adapterConfig !== 'object' || adapterConfig === null || Array.isArray(adapterConfig))
    throw new Error('adapter_config.json: expected a JSON object');
  const c = Object.fromEntries(Object.entries(adapterConfig));
  if (c.peft_type !== 'LORA')
    throw new Error(`adapter_config.json: peft_type ${describeJson(c.peft_type)} is not LORA`);
  if (c.use_rslora === true || c.use_dora === true)
    throw new Error('adapter_config.json: rsLoRA and DoRA adapters are not supported');
  const rank = c.r;
  const alpha = c.lora_alpha;
  if (typeof rank !== 'number' || !Number.isSafeInteger(rank) || rank < 1)
    throw new Error(`adapter_config.json: r must be a positive integer, got ${describeJson(rank)}`);
  if (typeof alpha !== 'number' || !Number.isFinite(alpha) || alpha <= 0)
    throw new Error(`adapter_config.json: lora_alpha must be a positive number, got ${describeJson(alpha)}`);
  const modules = typeof c.target_modules === 'string' ? [c.target_modules] : c.target_modules;
  if (!Array.isArray(modules)) throw new Error('adapter_config.json: target_modules is missing');
  const targets = modules.map((m: unknown) => {
    if (typeof m === 'string' && isLoraTarget(m)) return m;
    const shown = typeof m === 'string' && m.length <= 80 ? m : describeJson(m);
    throw new Error(
      `adapter_config.json: target module ${shown} is not a Qwen3 projection (${allLoraTargets.join(', ')})`,
    );
  });
  const layout = loraLayout(config, { rank, alpha, targets });
  const file = await SafetensorsFile.open(
    weights instanceof Blob ? weights : new Blob([weights.slice()]),
    'adapter_model.safetensors',
  );
  // Every tensor is found and its shape checked before the parameters are allocated: their
  // size follows from r, which only the file's own tensors can vouch for.
  const reads: { name: string; offset: number }[] = [];
  for (const s of layout.slots) {
    for (const [matrix, offset, shape] of [
      ['lora_A', s.aOffset, [rank, s.inDim]],
      ['lora_B', s.bOffset, [s.outDim, rank]],
    ] as const) {
      const key = peftKey(s.layer, s.target, matrix);
      const found = file.tensors.get(key) ?? file.tensors.get(key.replace('.weight', '.default.weight'));
      if (found === undefined) throw new Error(`adapter_model.safetensors: tensor ${key} is missing`);
      if (found.shape.join(',') !== shape.join(','))
        throw new Error(
          `adapter_model.safetensors: ${key} has shape [${found.shape.join(', ')}], expected [${shape.join(', ')}] (r = ${rank} in adapter_config.json)`,
        );
      reads.push({ name: found.name, offset });
    }
  }
  const params = new Float32Array(layout.size);
  for (const { name, offset } of reads) params.set(await file.read(name), offset);
  return { layout, params };
}

/** W += (alpha/r) · B · A for every adapted projection; returns new weight arrays by Hugging Face name. */
export function mergeLora(
  weights: ReadonlyMap<string, Float32Array>,
  layout: LoraLayout,
  params: Float32Array,
): Map<string, Float32Array> {
  const merged = new Map(weights);
  const r = layout.config.rank;
  for (const s of layout.slots) {
    const name = `model.layers.${s.layer}.${modulePath(s.target)}.weight`;
    const base = weights.get(name);
    if (base === undefined) throw new Error(`mergeLora: the base model has no ${name}`);
    const w = Float32Array.from(base);
    for (let o = 0; o < s.outDim; o++) {
      for (let k = 0; k < r; k++) {
        const b = layout.scale * params[s.bOffset + o * r + k];
        if (b === 0) continue;
        const aRow = s.aOffset + k * s.inDim;
        for (let i = 0; i < s.inDim; i++) w[o * s.inDim + i] += b * params[aRow + i];
      }
    }
    merged.set(name, w);
  }
  return merged;
}
