import type { WeightStorage } from './backend-types';

/** Bytes a matrix of `values` values with rows of `cols` takes in `storage`: its values and, quantized, its scales. */
export function matrixBytes(
  { format, groupSize = defaultGroupSize }: WeightStorage,
  values: number,
  cols: number,
): number {
  switch (format) {
    case 'f32':
      return values * 4;
    case 'f16':
    case 'bf16':
      return values * 2;
    case 'int8':
      return values + (values / cols) * 4; // a scale per row
    case 'int4':
      return values / 2 + (values / groupSize) * 4;
  }
}

/**
 * How `weights` stores the matrices of a checkpoint saved in `torchDtype` (config.json's
 * torch_dtype): bf16 takes only values that are bf16, so another checkpoint's stay f32.
 */
export function storageForCheckpoint(weights: WeightStorage, torchDtype: string): WeightStorage {
  return weights.format === 'bf16' && torchDtype !== 'bfloat16' ? { format: 'f32' } : weights;
}

/** int4's values per scale unless said: small enough to follow the weights, 1/8 of a byte per value in scales. */
export const defaultGroupSize = 32;

/** "f16", "int8", "int4 in groups of 32". */
export function describeWeights({ format, groupSize = defaultGroupSize }: WeightStorage): string {
  return format === 'int4' ? `int4 in groups of ${groupSize}` : format;
}
