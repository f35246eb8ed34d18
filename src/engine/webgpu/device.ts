/**
 * Opening a WebGPU device for the engine: ask for the limits a model needs, say plainly
 * when the adapter cannot give them, and turn device loss and uncaptured validation errors
 * into reported errors instead of hangs. Platform-neutral: the caller passes a `GPU`
 * (`navigator.gpu` in a browser, `nodeGpu()` from ./node-gpu in Node).
 */

import type { WeightFormat } from '../backend-types';
import type { Qwen3Config } from '../config';
import { isSoftwareAdapter } from '../default-backend';
import { weightNames } from '../params';

/** The limits a model needs, in bytes. */
export interface DeviceNeeds {
  /** The largest single buffer. */
  maxBufferSize: number;
  /** The largest range bound to one storage binding. */
  maxStorageBufferBindingSize: number;
  /** Workgroup (shared) memory of the largest kernel. */
  maxComputeWorkgroupStorageSize: number;
}

export const minimalNeeds: DeviceNeeds = {
  maxBufferSize: 16 << 20,
  maxStorageBufferBindingSize: 16 << 20,
  maxComputeWorkgroupStorageSize: 16 << 10,
};

/**
 * What a model's weights need of a device: each tensor in f32 must fit one buffer and one
 * binding, except the vocabulary-sized ones (embedding, LM head), which the backend splits by
 * rows (64 at least) when they do not.
 */
export function weightNeeds(c: Qwen3Config): DeviceNeeds {
  const isVocab = (name: string) => name === 'model.embed_tokens.weight' || name === 'lm_head.weight';
  const largest = Math.max(
    ...weightNames(c).map((w) => 4 * (isVocab(w.name) ? 64 * w.shape[1] : w.shape.reduce((a, b) => a * b, 1))),
  );
  return {
    ...minimalNeeds,
    maxBufferSize: Math.max(minimalNeeds.maxBufferSize, largest),
    maxStorageBufferBindingSize: Math.max(minimalNeeds.maxStorageBufferBindingSize, largest),
  };
}

/**
 * Weights are f16 where the adapter has `shader-f16`. Reading f16 needs no feature
 * (`unpack2x16float` is core WGSL), so f16 can be asked for anywhere; but an adapter without
 * the feature is usually one without fast half-precision hardware (SwiftShader unpacks f16
 * slowly), and takes bf16 by default: exact (a matrix that is not bf16 stays f32), read by a
 * shift, and on SwiftShader half the loads of f32 (npm run bench -- matmul).
 */
export function defaultWeightFormat(device: EngineDevice): WeightFormat {
  return device.hasF16 ? 'f16' : 'bf16';
}

export class GpuUnavailableError extends Error {
  override name = 'GpuUnavailableError';
}

/** The adapter cannot give a limit the model needs. */
export class GpuLimitError extends Error {
  override name = 'GpuLimitError';
}

/** The device was lost (driver reset, tab in background too long, out of memory). */
export class GpuDeviceLostError extends Error {
  override name = 'GpuDeviceLostError';
}

/** A WebGPU validation or out-of-memory error that no error scope caught: a bug or an exhausted GPU. */
export class GpuValidationError extends Error {
  override name = 'GpuValidationError';
}

function formatBytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(2)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  return `${(n / 1024).toFixed(1)} KiB`;
}

/** A device opened for the engine, with its failure state. */
export class EngineDevice {
  /** The first error the device reported on its own (loss, uncaptured validation error), if any. */
  private failure: Error | undefined;
  private destroyedByEngine = false;
  private readonly listeners = new Set<(error: Error) => void>();

  constructor(
    readonly device: GPUDevice,
    /** Human-readable adapter description, e.g. "NVIDIA H100 (vulkan)" or "SwiftShader Device (Subzero)". */
    readonly adapterName: string,
    /** Whether kernels may store weights as f16 (`shader-f16`). */
    readonly hasF16: boolean,
    /** The subgroup size, when the device has subgroups of one fixed size (kernels written for it may use them). */
    readonly subgroupSize: number | undefined = undefined,
    /** A software adapter running on the CPU (SwiftShader, lavapipe): kernels pick CPU-friendly variants. */
    readonly isCpuAdapter = isSoftwareAdapter(adapterName),
  ) {
    device.addEventListener('uncapturederror', (event) => {
      const error = 'error' in event && event.error instanceof GPUError ? event.error : undefined;
      if (error instanceof GPUOutOfMemoryError)
        this.fail(
          new GpuLimitError(
            `out of GPU memory on ${adapterName} (${error.message || 'an allocation failed'}): load a smaller ` +
              'model, keep the weights in f16 or quantize the teacher, or train on fewer tokens per step (the ' +
              "model card's memory plan shows what each part takes). Reload the models to continue.",
          ),
        );
      else this.fail(new GpuValidationError(`WebGPU error on ${adapterName}: ${error?.message ?? 'unknown error'}`));
    });
    void device.lost.then((info) => {
      // Our own destroy() is no failure; any other (a driver reset, or destroy() from elsewhere) is.
      if (info.reason === 'destroyed' && this.destroyedByEngine) return;
      this.fail(
        new GpuDeviceLostError(
          `The GPU device was lost (${info.reason}): ${info.message || 'no details'}. Reload the models to continue.`,
        ),
      );
    });
  }

  get limits(): GPUSupportedLimits {
    return this.device.limits;
  }

  /** Throws the device's own failure, if it had one; call before and after GPU work. */
  check(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  /** Waits for the work submitted so far, then throws the device's own failure, if it had one. */
  async settled(): Promise<void> {
    this.check();
    await this.device.queue.onSubmittedWorkDone();
    this.check();
  }

  /** Calls `listener` once with the first failure (e.g. to tell the UI). */
  onFailure(listener: (error: Error) => void): void {
    if (this.failure !== undefined) listener(this.failure);
    else this.listeners.add(listener);
  }

  /** Runs `work`, turning any validation or out-of-memory error it causes into a thrown error that names `what`. */
  async scoped<T>(what: string, work: () => T): Promise<T> {
    this.check();
    this.device.pushErrorScope('out-of-memory');
    this.device.pushErrorScope('validation');
    const result = work();
    const validation = await this.device.popErrorScope();
    const memory = await this.device.popErrorScope();
    if (memory !== null) throw new GpuLimitError(`${what}: out of GPU memory (${memory.message})`);
    if (validation !== null) throw new GpuValidationError(`${what}: ${validation.message}`);
    return result;
  }

  destroy(): void {
    this.destroyedByEngine = true;
    this.device.destroy();
  }

  /**
   * The error to throw for a GPU call that failed (a read whose mapping was refused): the
   * device's loss when it was lost, which the device reports a moment after such a call fails.
   */
  async explain(err: unknown): Promise<unknown> {
    if (this.failure === undefined) await Promise.race([this.device.lost, new Promise((r) => setTimeout(r, 100))]);
    await new Promise((r) => setTimeout(r, 0)); // the lost handler above runs first
    return this.failure ?? err;
  }

  private fail(error: Error): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    for (const listener of this.listeners) listener(error);
    this.listeners.clear();
  }
}

/** The adapter's name as the engine reports it (vendor, architecture, device, description). */
export function describeAdapter(adapter: GPUAdapter): string {
  const info = adapter.info;
  const name = [info.vendor, info.architecture, info.device, info.description]
    .filter((s) => s !== undefined && s !== '')
    .join(' ');
  return name === '' ? 'unnamed WebGPU adapter' : name;
}

/** The name of the adapter openEngineDevice would open, or undefined where there is none; opens no device. */
export async function findAdapterName(gpu: GPU | undefined): Promise<string | undefined> {
  const adapter = await gpu?.requestAdapter({ powerPreference: 'high-performance' });
  return adapter ? describeAdapter(adapter) : undefined;
}

/**
 * Opens a device with at least `needs`. Limits are requested at the adapter's maximum
 * (never below the default) so one device serves every model the adapter can hold.
 */
export async function openEngineDevice(
  gpu: GPU | undefined,
  needs: DeviceNeeds = minimalNeeds,
  options: { allowF16?: boolean } = {},
): Promise<EngineDevice> {
  if (gpu === undefined) {
    throw new GpuUnavailableError(
      'WebGPU is not available here. Use a browser with WebGPU (Chrome or Edge 113+) or choose the CPU backend.',
    );
  }
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (adapter === null) {
    throw new GpuUnavailableError(
      'WebGPU is present but no GPU adapter was found. Check that hardware acceleration is on, or choose the CPU backend.',
    );
  }
  const name = describeAdapter(adapter);
  const keys: (keyof DeviceNeeds)[] = [
    'maxBufferSize',
    'maxStorageBufferBindingSize',
    'maxComputeWorkgroupStorageSize',
  ];
  for (const key of keys) {
    const has = adapter.limits[key];
    if (has < needs[key]) {
      throw new GpuLimitError(
        `${name} allows ${key} = ${formatBytes(has)}, but this model needs ${formatBytes(needs[key])}. Try a smaller model or the CPU backend.`,
      );
    }
  }
  const hasF16 = (options.allowF16 ?? true) && adapter.features.has('shader-f16');
  const subgroupSize = fixedSubgroupSize(adapter);
  const device = await requestDevice(adapter, name, [
    ...(hasF16 ? (['shader-f16'] as const) : []),
    ...(subgroupSize !== undefined ? (['subgroups'] as const) : []),
  ]);
  return new EngineDevice(device, name, hasF16, subgroupSize);
}

/** The adapter's subgroup size when it has subgroups and the size is one fixed number (SwiftShader: 4). */
function fixedSubgroupSize(adapter: GPUAdapter): number | undefined {
  if (!adapter.features.has('subgroups')) return undefined;
  const { subgroupMinSize, subgroupMaxSize } = adapter.info;
  return subgroupMinSize !== undefined && subgroupMinSize === subgroupMaxSize ? subgroupMinSize : undefined;
}

/** The device with the adapter's limits; a refusal means WebGPU cannot be used here, like a missing adapter. */
async function requestDevice(adapter: GPUAdapter, name: string, features: GPUFeatureName[]): Promise<GPUDevice> {
  try {
    return await adapter.requestDevice({
      label: 'sodp-engine',
      requiredFeatures: features,
      requiredLimits: {
        maxBufferSize: adapter.limits.maxBufferSize,
        maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
        maxComputeWorkgroupStorageSize: adapter.limits.maxComputeWorkgroupStorageSize,
        maxStorageBuffersPerShaderStage: adapter.limits.maxStorageBuffersPerShaderStage,
        maxComputeInvocationsPerWorkgroup: adapter.limits.maxComputeInvocationsPerWorkgroup,
        maxComputeWorkgroupSizeX: adapter.limits.maxComputeWorkgroupSizeX,
      },
    });
  } catch (err) {
    throw new GpuUnavailableError(
      `${name} refused to open a device: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}
