import { describe, expect, it } from 'vitest';
import { gpuAvailable } from '../../tests/support/gpu';
import type { Backend } from './backend';
import { openBackend, type OpenedBackend } from './open-backend';
import { GpuUnavailableError } from './webgpu/device';
import { nodeGpu } from './webgpu/node-gpu';

/** A WebGPU entry point that has no adapter (a browser with hardware acceleration off); only requestAdapter is used. */
const gpuWithoutAdapter = { requestAdapter: async () => null } as unknown as GPU;

/** Records every run: which backend and how it was opened. */
function recorder(work: () => Promise<string> = async () => 'done') {
  const runs: { backend: string; opened: OpenedBackend }[] = [];
  return {
    runs,
    user: {
      run: async <T>(backend: Backend<T>, opened: OpenedBackend) => {
        runs.push({ backend: backend.name, opened });
        return work();
      },
    },
  };
}

describe('openBackend', () => {
  it('runs on the CPU when the CPU is chosen', async () => {
    const { runs, user } = recorder();
    const { result, device } = await openBackend({ choice: 'cpu', gpu: undefined, fallBackToCpu: false }, user);
    expect(result).toBe('done');
    expect(device).toBeUndefined();
    expect(runs).toEqual([{ backend: 'cpu', opened: { device: 'CPU', weights: { format: 'f32' } } }]);
  });

  it('falls back to the CPU, saying why, when no adapter can be had', async () => {
    const { runs, user } = recorder();
    await openBackend({ choice: 'webgpu', gpu: gpuWithoutAdapter, fallBackToCpu: true }, user);
    expect(runs).toHaveLength(1);
    expect(runs[0].backend).toBe('cpu');
    expect(runs[0].opened.fallback).toMatch(/^WebGPU could not be used \(.*no GPU adapter was found.*\)/);
  });

  it('falls back to the CPU, saying why, where there is no WebGPU at all', async () => {
    const { runs, user } = recorder();
    await openBackend({ choice: 'webgpu', gpu: undefined, fallBackToCpu: true }, user);
    expect(runs).toEqual([
      {
        backend: 'cpu',
        opened: { device: 'CPU', weights: { format: 'f32' }, fallback: expect.stringMatching(/no WebGPU/) },
      },
    ]);
  });

  it('throws instead when falling back is not allowed, and runs nothing', async () => {
    const { runs, user } = recorder();
    await expect(openBackend({ choice: 'webgpu', gpu: gpuWithoutAdapter, fallBackToCpu: false }, user)).rejects.toThrow(
      GpuUnavailableError,
    );
    expect(runs).toHaveLength(0);
  });

  it.skipIf(!gpuAvailable)(
    'passes an error of the work through once, without running it again on the CPU',
    async () => {
      const failure = new Error('line 3: mask[7] must be 0 or 1, got 2');
      const { runs, user } = recorder(async () => {
        throw failure;
      });
      await expect(openBackend({ choice: 'webgpu', gpu: await nodeGpu(), fallBackToCpu: true }, user)).rejects.toBe(
        failure,
      );
      expect(runs).toHaveLength(1);
      expect(runs[0].backend).toMatch(/^webgpu/);
      expect(runs[0].opened.fallback).toBeUndefined();
    },
  );

  it.skipIf(!gpuAvailable)(
    'stores WebGPU weights as asked, and by default f16 only where the adapter has shader-f16, else bf16',
    async () => {
      const gpu = await nodeGpu();
      const adapter = await gpu?.requestAdapter();
      const expectedDefault = adapter?.features.has('shader-f16') ? 'f16' : 'bf16';
      for (const [weights, expected] of [
        [undefined, expectedDefault],
        ['f16', 'f16'],
        ['bf16', 'bf16'],
        ['f32', 'f32'],
      ] as const) {
        const { runs, user } = recorder();
        const request = { choice: 'webgpu', gpu, fallBackToCpu: false } as const;
        const { device } = await openBackend(
          weights === undefined ? request : { ...request, weights: { format: weights } },
          user,
        );
        device?.destroy();
        expect(runs[0].opened.weights).toEqual({ format: expected });
      }
    },
  );
});
