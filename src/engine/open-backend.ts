/**
 * The one way to open a backend, for the CLI and the workers alike. Falling back to the CPU
 * is decided once, when the WebGPU device is opened; an error thrown by the work itself is
 * the work's error and reaches the caller as it is, never as a reason to run it again.
 */
import type { Backend, WeightStorage } from './backend';
import { CpuBackend, QuantizedCpuBackend } from './cpu/backend';
import { defaultGroupSize } from './weight-format';
import { WebGpuBackend } from './webgpu/backend';
import {
  GpuUnavailableError,
  minimalNeeds,
  openEngineDevice,
  type DeviceNeeds,
  type EngineDevice,
} from './webgpu/device';

export const backendChoices = ['webgpu', 'cpu'] as const;
export type BackendChoice = (typeof backendChoices)[number];

export interface OpenBackendRequest {
  choice: BackendChoice;
  /** The WebGPU entry point (`navigator.gpu`, or the `webgpu` package's in Node); undefined where there is none. */
  gpu: GPU | undefined;
  /** What the model needs of the device (checked before anything is loaded). */
  needs?: DeviceNeeds;
  /** When WebGPU cannot be opened: run on the CPU and say why (true), or throw (false). */
  fallBackToCpu: boolean;
  /**
   * How the weights are stored: by default f16 on WebGPU where the adapter has `shader-f16`,
   * f32 on the CPU, which keeps f32 when f16 is asked for. int8 and int4 are for models that
   * only score (a teacher), on both backends.
   */
  weights?: WeightStorage;
}

/** Which backend runs the work, as the user reads it. */
export interface OpenedBackend {
  /** The adapter's name on WebGPU ('SwiftShader Device (Subzero)', 'NVIDIA …'); 'CPU' otherwise. */
  device: string;
  /** Why WebGPU was asked for but not used, when it was not. */
  fallback?: string;
  /** On WebGPU, the device's limits on one buffer and one storage binding, in bytes. */
  limits?: { maxBufferSize: number; maxStorageBufferBindingSize: number };
  /** How the model's matrices are stored. */
  weights: WeightStorage;
}

/** Code that works with whichever backend was opened. */
export interface BackendUser<R> {
  run<T>(backend: Backend<T>, opened: OpenedBackend): Promise<R>;
}

/**
 * Opens the chosen backend and runs `user` on it once. The WebGPU device is returned for the
 * caller to keep (a worker's loaded model) or destroy; it is destroyed here if the work fails.
 */
export async function openBackend<R>(
  request: OpenBackendRequest,
  user: BackendUser<R>,
): Promise<{ result: R; device?: EngineDevice }> {
  const onCpu = (fallback?: string) => {
    const { format, groupSize = defaultGroupSize } = request.weights ?? { format: 'f32' };
    const quantized = format === 'int8' || format === 'int4';
    const backend = quantized ? new QuantizedCpuBackend(format, groupSize) : new CpuBackend();
    const weights: WeightStorage = quantized ? { format, groupSize } : { format: 'f32' };
    return user.run(backend, { device: 'CPU', weights, ...(fallback !== undefined ? { fallback } : {}) });
  };
  if (request.choice === 'cpu') return { result: await onCpu() };
  if (request.gpu === undefined && request.fallBackToCpu)
    return { result: await onCpu('there is no WebGPU here (no navigator.gpu), so the model runs on the CPU') };
  let device: EngineDevice;
  try {
    device = await openEngineDevice(request.gpu, request.needs ?? minimalNeeds);
  } catch (err) {
    if (!request.fallBackToCpu || !(err instanceof GpuUnavailableError)) throw err;
    return { result: await onCpu(`WebGPU could not be used (${err.message}), so the model runs on the CPU`) };
  }
  try {
    const { maxBufferSize, maxStorageBufferBindingSize } = device.limits;
    const backend = new WebGpuBackend(device, {
      ...(request.weights !== undefined ? { weights: request.weights.format } : {}),
      ...(request.weights?.groupSize !== undefined ? { groupSize: request.weights.groupSize } : {}),
    });
    const opened = {
      device: device.adapterName,
      limits: { maxBufferSize, maxStorageBufferBindingSize },
      weights: backend.weights,
    };
    const result = await user.run(backend, opened);
    // A failure the device reports on its own (out of memory while uploading) fails the work too.
    await device.settled();
    return { result, device };
  } catch (err) {
    device.destroy();
    throw err;
  }
}
