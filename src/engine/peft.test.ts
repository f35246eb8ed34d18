import { describe, expect, it } from 'vitest';
import { CpuBackend } from './cpu/backend';
import { Qwen3Model } from './model';
import { assembleWeights, randomWeights } from './params';
import { exportPeft, importPeft, mergeLora, peftKey } from './peft';
import { SafetensorsFile } from './safetensors';
import { randomLora, tinyConfig } from './testing/tiny';

const cpu = new CpuBackend(Float64Array);

describe('PEFT adapters', () => {
  it('export → import → merge: the merged model gives the logits of base + adapter', async () => {
    const base = randomWeights(tinyConfig, 21);
    const model = new Qwen3Model(
      cpu,
      tinyConfig,
      assembleWeights(tinyConfig, (n) => cpu.upload(base.get(n) ?? new Float32Array(0), n)),
    );
    const lora = randomLora(cpu, tinyConfig, { rank: 3, alpha: 6, targets: ['q_proj', 'v_proj', 'down_proj'] }, 4, 0.3);
    const params = Float32Array.from(lora.params);
    const files = exportPeft(lora.layout, params, 'test/tiny-qwen3');
    expect(files['adapter_config.json']).toMatchObject({
      peft_type: 'LORA',
      r: 3,
      lora_alpha: 6,
      target_modules: ['q_proj', 'v_proj', 'down_proj'],
    });
    const st = await SafetensorsFile.open(files['adapter_model.safetensors'], 'adapter_model.safetensors');
    expect(st.info(peftKey(1, 'down_proj', 'lora_A')).shape).toEqual([3, tinyConfig.intermediateSize]);
    expect(st.info('base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight').shape).toEqual([
      tinyConfig.numHeads * tinyConfig.headDim,
      3,
    ]);

    const imported = await importPeft(
      JSON.parse(JSON.stringify(files['adapter_config.json'])),
      files['adapter_model.safetensors'],
      tinyConfig,
    );
    expect(Array.from(imported.params)).toEqual(Array.from(params));
    const merged = mergeLora(base, imported.layout, imported.params);
    const mergedModel = new Qwen3Model(
      cpu,
      tinyConfig,
      assembleWeights(tinyConfig, (n) => cpu.upload(merged.get(n) ?? new Float32Array(0), n)),
    );
    const ids = [1, 5, 9, 2, 6, 5];
    const withAdapter = await model.logprobs(ids, { ...lora, params: cpu.upload(imported.params, 'p') });
    const viaMerge = await mergedModel.logprobs(ids);
    withAdapter.forEach((x, i) => expect(viaMerge[i]).toBeCloseTo(x, 5));
  });

  it('refuses an adapter it cannot use, saying why', async () => {
    const ok = { peft_type: 'LORA', r: 2, lora_alpha: 4, target_modules: ['q_proj'] };
    await expect(importPeft({ ...ok, peft_type: 'IA3' }, new Uint8Array(), tinyConfig)).rejects.toThrow(
      'peft_type "IA3" is not LORA',
    );
    await expect(importPeft({ ...ok, target_modules: ['c_attn'] }, new Uint8Array(), tinyConfig)).rejects.toThrow(
      'target module c_attn is not a Qwen3 projection',
    );
    const other = exportPeft(
      randomLora(cpu, tinyConfig, { rank: 2, alpha: 4, targets: ['k_proj'] }).layout,
      new Float32Array(10_000),
      'x',
    );
    await expect(importPeft(ok, other['adapter_model.safetensors'], tinyConfig)).rejects.toThrow(
      /q_proj.lora_A.weight is missing/,
    );
  });

  // Found by peft.fuzz.test.ts.
  it('checks r against the file before allocating by it, and names adapter_config.json for r and lora_alpha', async () => {
    const ok = { peft_type: 'LORA', r: 2, lora_alpha: 4, target_modules: ['q_proj'] };
    const files = exportPeft(
      randomLora(cpu, tinyConfig, { rank: 2, alpha: 4, targets: ['q_proj'] }).layout,
      new Float32Array(10_000),
      'x',
    );
    // r = 2^31 made a parameter vector too long for a Float32Array (a RangeError); 2^20 allocated 500 MB, then refused.
    await expect(importPeft({ ...ok, r: 2 ** 31 }, files['adapter_model.safetensors'], tinyConfig)).rejects.toThrow(
      `adapter_model.safetensors: base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight has shape [2, ${tinyConfig.hiddenSize}], expected [2147483648, ${tinyConfig.hiddenSize}] (r = 2147483648 in adapter_config.json)`,
    );
    await expect(importPeft({ ...ok, r: 1.5 }, files['adapter_model.safetensors'], tinyConfig)).rejects.toThrow(
      'adapter_config.json: r must be a positive integer, got 1.5',
    );
    // JSON.parse reads 1e999 as Infinity, which passed as a positive alpha (an infinite scale).
    await expect(
      importPeft({ ...ok, ...JSON.parse('{"lora_alpha": 1e999}') }, files['adapter_model.safetensors'], tinyConfig),
    ).rejects.toThrow('adapter_config.json: lora_alpha must be a positive number, got Infinity');
    await expect(importPeft([ok], files['adapter_model.safetensors'], tinyConfig)).rejects.toThrow(
      'adapter_config.json: expected a JSON object',
    );
  });
});
