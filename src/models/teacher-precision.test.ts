import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cachedRandomQwen3Folder } from '../../tests/support/cached-random-qwen3';
import { gpuAvailable } from '../../tests/support/gpu';
import { trajectoryFromRecord } from '../agent/trajectory';
import type { Backend } from '../engine/backend';
import { CpuBackend, QuantizedCpuBackend } from '../engine/cpu/backend';
import { EngineScorer } from '../engine/inference';
import { loadQwen3 } from '../engine/load';
import { folderFiles } from '../engine/node-files';
import { WebGpuBackend } from '../engine/webgpu/backend';
import { openEngineDevice } from '../engine/webgpu/device';
import { nodeGpu } from '../engine/webgpu/node-gpu';
import { expectedPrecision, teacherPrecision } from './teacher-precision';

// A trajectory of the demo pair: the student's rollout, with its mask.
const sample = trajectoryFromRecord(JSON.parse(readFileSync('public/samples/drift-recovery.jsonl', 'utf8')));

async function score<T>(backend: Backend<T>, folder: string, prompt: number[], response: number[]) {
  const model = await loadQwen3(backend, folderFiles(folder));
  return new EngineScorer('teacher', model).scoreTokens(prompt, response);
}

/** max and mean |Δτ| over the generated tokens. */
function drift(a: Float64Array, b: Float64Array, mask: readonly number[]): { max: number; mean: number } {
  let max = 0;
  let sum = 0;
  let n = 0;
  mask.forEach((m, t) => {
    if (m !== 1) return;
    const d = Math.abs(a[t] - b[t]);
    max = Math.max(max, d);
    sum += d;
    n++;
  });
  return { max, mean: sum / n };
}

/** The table's row of `key` for `model`. */
function measured(key: string, model: string) {
  const found = expectedPrecision(key).find((r) => r.model === model);
  if (found === undefined) throw new Error(`docs/teacher-precision.md has no ${key} row for ${model}`);
  return found.row;
}

describe('the quantized engine teacher stays within the precision docs/teacher-precision.md measured', () => {
  const teacher = 'public/models/tiny-qwen3-teacher';
  const demo = teacherPrecision.models[0].model;
  const paths = [
    ['int8', () => new QuantizedCpuBackend('int8')],
    ['int4-32', () => new QuantizedCpuBackend('int4', 32)],
    ['int4-128', () => new QuantizedCpuBackend('int4', 128)],
  ] as const;

  it.each(paths)('%s on the CPU, on a trajectory of the demo pair', async (key, backend) => {
    const f32 = await score(new CpuBackend(), teacher, sample.prompt_ids, sample.response_ids);
    const quantized = await score(backend(), teacher, sample.prompt_ids, sample.response_ids);
    const row = measured(key, demo);
    const d = drift(quantized, f32, sample.mask);
    // The tolerance the table sets: twice its largest error (one trajectory may hold a token
    // more extreme than all of the table's), and its mean within a few of the table's means.
    expect(d.max).toBeLessThanOrEqual(2 * row.maxAbsTau);
    expect(d.mean).toBeLessThan(3 * row.meanAbsTau);
    expect(d.mean).toBeGreaterThan(0);
  });

  it.skipIf(!gpuAvailable)(
    'int8 and int4 on WebGPU, the same trajectory',
    async () => {
      const f32 = await score(new CpuBackend(), teacher, sample.prompt_ids, sample.response_ids);
      for (const [format, key] of [
        ['int8', 'int8'],
        ['int4', 'int4-32'],
      ] as const) {
        const gpu = new WebGpuBackend(await openEngineDevice(await nodeGpu()), { weights: format, groupSize: 32 });
        const quantized = await score(gpu, teacher, sample.prompt_ids, sample.response_ids);
        expect(drift(quantized, f32, sample.mask).max).toBeLessThanOrEqual(2 * measured(key, demo).maxAbsTau);
      }
    },
    60_000,
  );

  it('int8 on the CPU at the real Qwen3-0.6B dimensions (2 layers, the table’s random teacher)', async () => {
    const folder = cachedRandomQwen3Folder({ size: '0.6B', layers: 2, seed: 2 });
    const prompt = [151644, 872, 198, 3838, 374, 220, 17, 10, 17, 30];
    const response = [151645, 198, 151644, 77091, 198, 785, 4226, 374, 220, 19, 13, 151645];
    const f32 = await score(new CpuBackend(), folder, prompt, response);
    const int8 = await score(new QuantizedCpuBackend('int8'), folder, prompt, response);
    const row = measured('int8', teacherPrecision.models[1].model);
    expect(
      drift(
        int8,
        f32,
        response.map(() => 1),
      ).max,
    ).toBeLessThanOrEqual(2 * row.maxAbsTau);
  }, 120_000);
});
