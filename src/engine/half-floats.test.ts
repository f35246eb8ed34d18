import { describe, expect, it } from 'vitest';
import { exactBf16, isExactBf16, roundToBf16 } from './half-floats';

describe('bf16 bit patterns', () => {
  it('keeps values that are bf16 exactly, as the upper halves of their f32 bits, padded to whole words', () => {
    const values = roundToBf16(Float32Array.from([1.5, -0.0078125, 3.14159, 1e-30, -65504, 0.1, Infinity]));
    const halves = exactBf16(values);
    expect(halves).toBeDefined();
    expect(halves?.length).toBe(8);
    const widened = new Float32Array(new Uint32Array(Array.from(halves ?? [], (h) => h << 16)).buffer);
    expect(Array.from(widened.subarray(0, values.length))).toEqual(Array.from(values));
    expect(halves?.[7]).toBe(0);
  });

  it('refuses a value that is not a bf16 rather than round it', () => {
    const values = roundToBf16(Float32Array.from([1, 2, 3]));
    values[1] = 2.0000002;
    expect(isExactBf16(values)).toBe(false);
    expect(exactBf16(values)).toBeUndefined();
    expect(isExactBf16(roundToBf16(values))).toBe(true);
  });

  it('rounds to the nearest bf16, ties to even', () => {
    // 1 + 2⁻⁸ lies halfway between 1 and 1 + 2⁻⁷: to the even one, 1; 1 + 3·2⁻⁸ to 1 + 2⁻⁶.
    expect(Array.from(roundToBf16(Float32Array.from([1 + 2 ** -8, 1 + 3 * 2 ** -8, 1 + 2 ** -8 + 2 ** -20])))).toEqual([
      1,
      1 + 2 ** -6,
      1 + 2 ** -7,
    ]);
  });
});
