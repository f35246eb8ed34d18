import { describe, expect, it } from 'vitest';
import { describeWeights, matrixBytes, storageForCheckpoint } from './weight-format';

describe('weight formats', () => {
  it('counts a matrix at 2 bytes a value in f16 and bf16, 4 in f32', () => {
    expect(matrixBytes({ format: 'bf16' }, 1024 * 64, 64)).toBe(2 * 1024 * 64);
    expect(matrixBytes({ format: 'f16' }, 1024 * 64, 64)).toBe(2 * 1024 * 64);
    expect(matrixBytes({ format: 'f32' }, 1024 * 64, 64)).toBe(4 * 1024 * 64);
    expect(describeWeights({ format: 'bf16' })).toBe('bf16');
  });

  it('stores only a bf16 checkpoint in bf16: one saved in f32 or f16 stays f32', () => {
    expect(storageForCheckpoint({ format: 'bf16' }, 'bfloat16')).toEqual({ format: 'bf16' });
    expect(storageForCheckpoint({ format: 'bf16' }, 'float32')).toEqual({ format: 'f32' });
    expect(storageForCheckpoint({ format: 'bf16' }, 'float16')).toEqual({ format: 'f32' });
    // Other formats take any checkpoint.
    expect(storageForCheckpoint({ format: 'f16' }, 'float32')).toEqual({ format: 'f16' });
    expect(storageForCheckpoint({ format: 'int4', groupSize: 32 }, 'float32')).toEqual({
      format: 'int4',
      groupSize: 32,
    });
  });
});
