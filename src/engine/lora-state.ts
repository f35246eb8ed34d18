import type { Backend } from './backend';
import type { LoraLayout } from './lora';
import type { LoraState } from './model';

/**
 * An adapter on a backend: its parameters (`initLoraParams(layout, seed)` for a fresh one,
 * or an imported PEFT adapter's) and zeroed gradients. The one place adapters are built.
 */
export function createLoraState<T>(backend: Backend<T>, layout: LoraLayout, params: Float32Array): LoraState<T> {
  if (params.length !== layout.size)
    throw new Error(`LoRA parameters hold ${params.length} values, but the layout needs ${layout.size}`);
  return {
    layout,
    params: backend.upload(params, 'lora'),
    grads: backend.zeros(layout.size, 'lora grads'),
    version: 0,
  };
}

/** Frees an adapter made by createLoraState. */
export function releaseLoraState<T>(backend: Backend<T>, lora: LoraState<T>): void {
  backend.release(lora.params);
  backend.release(lora.grads);
}
