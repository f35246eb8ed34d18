import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gpuAvailable } from '../../tests/support/gpu';
import { folderFiles } from '../engine/node-files';
import { nodeGpu } from '../engine/webgpu/node-gpu';
import { writeRandomQwen3Folder } from '../models/testing/random-qwen3';
import { openAndLoad, type WorkerEnvironment } from './engine-host';
import type { LoadedModel } from './protocols';

const gpu = await nodeGpu();
const env: WorkerEnvironment = { gpu: () => gpu, modelFiles: (source) => folderFiles(source.url) };
const dir = mkdtempSync(join(tmpdir(), 'engine-host-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Loads a folder on WebGPU with its matrices asked in bf16; what the worker reports of it. */
async function loadInBf16(folder: string): Promise<LoadedModel> {
  const { result, device } = await openAndLoad(
    { source: { url: folder, name: 'model' }, backend: 'webgpu', weights: { format: 'bf16' } },
    undefined,
    env,
    () => {},
    new AbortController().signal,
    { use: async (_backend, _model, loaded) => loaded },
  );
  device?.destroy();
  return result;
}

// Small dimensions, Qwen3's vocabulary: the embedding dominates the weights.
const dims = { hiddenSize: 64, intermediateSize: 128, numHeads: 2, numKvHeads: 1, headDim: 32 };

describe.skipIf(!gpuAvailable)('a model loaded with its matrices in bf16', () => {
  it('holds a checkpoint saved in bf16 at 2 bytes a value, as it reports and plans', async () => {
    const folder = writeRandomQwen3Folder(join(dir, 'bf16'), { size: '0.6B', layers: 1, dims, dtype: 'BF16' });
    const loaded = await loadInBf16(folder);
    expect(loaded.weights).toEqual({ format: 'bf16' });
    expect(loaded.weightBytes).toBeLessThan(2.1 * loaded.parameters);
    expect(loaded.allocatedBytes).toBeGreaterThanOrEqual(loaded.weightBytes);
    expect(loaded.allocatedBytes).toBeLessThan(1.2 * loaded.weightBytes);
    expect(loaded.plan?.parts.find((p) => p.part === 'weights')?.bytes).toBe(loaded.weightBytes);
  }, 120_000);

  it('keeps a checkpoint saved in f32 in f32 (bf16 rounds nothing), and says so', async () => {
    const folder = writeRandomQwen3Folder(join(dir, 'f32'), {
      size: '0.6B',
      layers: 1,
      dims,
      dtype: 'F32',
      configOverrides: { torch_dtype: 'float32' },
    });
    const loaded = await loadInBf16(folder);
    expect(loaded.weights).toEqual({ format: 'f32' });
    expect(loaded.weightBytes).toBe(4 * loaded.parameters);
    expect(loaded.allocatedBytes).toBeGreaterThanOrEqual(loaded.weightBytes);
    expect(loaded.plan?.parts.find((p) => p.part === 'weights')?.bytes).toBe(loaded.weightBytes);
  }, 120_000);
});
