import { describe, expect, it } from 'vitest';
import { defaultBackend, isSoftwareAdapter } from './default-backend';

describe('the default backend', () => {
  it('is the CPU for a software adapter, saying so', () => {
    const name = 'google swiftshader swiftshader-device-subzero- SwiftShader driver 5.0.0';
    expect(isSoftwareAdapter(name)).toBe(true);
    expect(defaultBackend(name)).toEqual({
      choice: 'cpu',
      reason: `the WebGPU adapter (${name}) is a software one, slower than the CPU backend`,
    });
    expect(defaultBackend('mesa llvmpipe').choice).toBe('cpu');
  });

  it('is WebGPU for a GPU adapter', () => {
    expect(defaultBackend('nvidia hopper NVIDIA H200')).toEqual({
      choice: 'webgpu',
      reason: 'a GPU adapter was found (nvidia hopper NVIDIA H200)',
    });
  });

  it('is the CPU without an adapter', () => {
    expect(defaultBackend(undefined)).toEqual({ choice: 'cpu', reason: 'no WebGPU adapter was found' });
  });
});
