import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineDevice, GpuLimitError, GpuUnavailableError, GpuValidationError, openEngineDevice } from './device';
import { nodeGpu } from './node-gpu';

const gpu = await nodeGpu();

describe('openEngineDevice', () => {
  it('explains that WebGPU is missing', async () => {
    await expect(openEngineDevice(undefined)).rejects.toThrow(GpuUnavailableError);
    await expect(openEngineDevice(undefined)).rejects.toThrow(/choose the CPU backend/);
  });
});

describe.skipIf(gpu === undefined && process.env.CI !== 'true')('a WebGPU device in Node', () => {
  let engine: EngineDevice;
  beforeAll(async () => {
    engine = await openEngineDevice(gpu);
  });
  afterAll(() => engine?.destroy());

  it('names its adapter and grants at least the default limits', () => {
    expect(engine.adapterName.length).toBeGreaterThan(0);
    expect(engine.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 << 20);
  });

  it('says which limit a model needs beyond the adapter', async () => {
    const tooBig = {
      maxBufferSize: 2 ** 52,
      maxStorageBufferBindingSize: 1 << 20,
      maxComputeWorkgroupStorageSize: 1024,
    };
    const error = await openEngineDevice(gpu, tooBig).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GpuLimitError);
    expect(String(error)).toMatch(/maxBufferSize = .* but this model needs 4194304.00 GiB/);
  });

  it('turns a validation error inside a scope into an error naming the operation', async () => {
    const run = engine.scoped('matmul upload', () =>
      engine.device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.STORAGE }),
    );
    await expect(run).rejects.toThrow(GpuValidationError);
    await expect(engine.scoped('ok', () => 42)).resolves.toBe(42);
  });
});
