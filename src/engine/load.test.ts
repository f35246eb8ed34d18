import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { qwen3ConfigJson } from './config';
import { CpuBackend } from './cpu/backend';
import { loadQwen3 } from './load';
import { Qwen3Model } from './model';
import { folderFiles } from './node-files';
import { assembleWeights, randomWeights, weightNames } from './params';
import { writeSafetensors } from './safetensors';
import { tinyConfig } from './testing/tiny';

const cpu = new CpuBackend();

function writeFolder(dtype: 'F32' | 'BF16', dropTensor?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sodp-model-'));
  const weights = randomWeights(tinyConfig, 3);
  const tensors = Object.fromEntries(
    weightNames(tinyConfig)
      .filter((w) => w.name !== dropTensor)
      .map(({ name, shape }) => [name, { shape, data: weights.get(name) ?? new Float32Array(0) }]),
  );
  writeFileSync(join(dir, 'config.json'), JSON.stringify(qwen3ConfigJson(tinyConfig)));
  writeFileSync(join(dir, 'model.safetensors'), writeSafetensors(tensors, { dtype }));
  return dir;
}

describe('loadQwen3', () => {
  it('loads a Hugging Face folder and gives the same log-probs as the weights in memory', async () => {
    const progress: number[] = [];
    const loaded = await loadQwen3(cpu, folderFiles(writeFolder('F32')), (p) => progress.push(p.done));
    const weights = randomWeights(tinyConfig, 3);
    const direct = new Qwen3Model(
      cpu,
      tinyConfig,
      assembleWeights(tinyConfig, (n) => cpu.upload(weights.get(n) ?? new Float32Array(0), n)),
    );
    const ids = [4, 8, 15, 16, 2, 3];
    expect(Array.from(await loaded.logprobs(ids))).toEqual(Array.from(await direct.logprobs(ids)));
    expect(progress.at(-1)).toBe(weightNames(tinyConfig).length);
  });

  it('reads bf16 checkpoints', async () => {
    const loaded = await loadQwen3(cpu, folderFiles(writeFolder('BF16')));
    const lp = await loaded.logprobs([1, 2, 3]);
    expect(lp.every((x) => Number.isFinite(x) && x < 0)).toBe(true);
  });

  it('names a missing tensor', async () => {
    const dir = writeFolder('F32', 'model.layers.1.mlp.up_proj.weight');
    await expect(loadQwen3(cpu, folderFiles(dir))).rejects.toThrow(
      `${dir}: the checkpoint has no tensor model.layers.1.mlp.up_proj.weight`,
    );
  });

  // config.fuzz.test.ts: config.json that is not JSON was a bare SyntaxError, naming no file.
  it('names config.json and model.safetensors.index.json when they are not JSON', async () => {
    const dir = writeFolder('F32');
    writeFileSync(join(dir, 'config.json'), '{"hidden_size": 8,');
    await expect(loadQwen3(cpu, folderFiles(dir))).rejects.toThrow(`${dir}/config.json: not valid JSON (`);
    writeFileSync(join(dir, 'config.json'), JSON.stringify(qwen3ConfigJson(tinyConfig)));
    writeFileSync(join(dir, 'model.safetensors.index.json'), '');
    await expect(loadQwen3(cpu, folderFiles(dir))).rejects.toThrow(
      `${dir}/model.safetensors.index.json: not valid JSON (`,
    );
  });
});
