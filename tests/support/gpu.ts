import { GpuContext } from '../../src/engine/webgpu/context';
import { openEngineDevice } from '../../src/engine/webgpu/device';
import { nodeGpu } from '../../src/engine/webgpu/node-gpu';

/** WebGPU tests run wherever the `webgpu` package finds an adapter, and always on CI. */
export const gpuAvailable = (await nodeGpu()) !== undefined || process.env.CI === 'true';

let shared: Promise<GpuContext> | undefined;

/** One device per test file, shared by its tests. */
export function testGpu(): Promise<GpuContext> {
  shared ??= (async () => new GpuContext(await openEngineDevice(await nodeGpu())))();
  return shared;
}

/** Deterministic pseudo-random floats in [-1, 1). */
export function randomArray(length: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 0) / 2 ** 32) * 2 - 1;
  }
  return out;
}

/** Largest absolute and relative differences between two arrays (relative to max(|b|, 1)). */
export function maxError(a: ArrayLike<number>, b: ArrayLike<number>): { abs: number; rel: number } {
  let abs = 0;
  let rel = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    abs = Math.max(abs, d);
    rel = Math.max(rel, d / Math.max(Math.abs(b[i]), 1));
  }
  return { abs, rel };
}
