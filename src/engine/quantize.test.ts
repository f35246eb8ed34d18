import { describe, expect, it } from 'vitest';
import { dequantizeRows, quantizationProblem, quantizedRows, quantizeRows } from './quantize';
import { matrixBytes } from './weight-format';

function seeded(length: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return (s / 2147483648) * 2 - 1;
  });
}

describe('quantizeRows', () => {
  it('packs int8 as two’s-complement bytes, a scale per row', () => {
    // One row of 4: max |w| = 1.27 → scale 0.01; values −1.27, 0.5, 0, 0.004 → −127, 50, 0, 0.
    const m = quantizeRows(Float32Array.from([-1.27, 0.5, 0, 0.004]), 1, 'int8', 32, 'w');
    expect(m.scales[0]).toBeCloseTo(0.01, 7);
    expect(m.groupSize).toBe(4);
    expect(m.words[0]).toBe(((-127 & 0xff) | (50 << 8)) >>> 0);
    expect(Array.from(dequantizeRows(m)).map((x) => Math.round(x * 1e4) / 1e4)).toEqual([-1.27, 0.5, 0, 0]);
  });

  it('packs int4 as nibbles q + 8, a scale per group', () => {
    // Groups of 8: the first 7 × 0.1 … then −0.7; the second all 0.
    const row = Float32Array.from([0.7, 0.1, 0, 0, 0, 0, 0, -0.7, 0, 0, 0, 0, 0, 0, 0, 0]);
    const m = quantizeRows(row, 1, 'int4', 8, 'w');
    expect(Array.from(m.scales).map((x) => Math.round(x * 1e6) / 1e6)).toEqual([0.1, 0]);
    expect(m.words[0] & 0xf).toBe(15); // 7 + 8
    expect((m.words[0] >>> 4) & 0xf).toBe(9); // 1 + 8
    expect(m.words[0] >>> 28).toBe(1); // −7 + 8
    expect(m.words[1]).toBe(0x88888888); // zeros
  });

  it.each([
    ['int8', 32, 127],
    ['int4', 32, 7],
    ['int4', 128, 7],
  ] as const)('%s (groups of %i) errs by at most half a step of its group’s scale', (format, groupSize, qmax) => {
    const [rows, cols] = [6, 256];
    const w = seeded(rows * cols, 5);
    const m = quantizeRows(w, rows, format, groupSize, 'w');
    const back = dequantizeRows(m);
    const group = format === 'int8' ? cols : groupSize;
    for (let i = 0; i < w.length; i++) {
      const g = Math.floor(i / group);
      let max = 0;
      for (let j = g * group; j < (g + 1) * group; j++) max = Math.max(max, Math.abs(w[j]));
      expect(Math.abs(back[i] - w[i])).toBeLessThanOrEqual(max / qmax / 2 + 1e-7);
    }
    expect(m.words.byteLength + m.scales.byteLength).toBe(matrixBytes({ format, groupSize }, rows * cols, cols));
  });

  it.each([
    ['int8', 32],
    ['int4', 16],
  ] as const)('%s: a range of rows is a view that reads as those rows of the whole', (format, groupSize) => {
    const [rows, cols] = [7, 48];
    const whole = dequantizeRows(quantizeRows(seeded(rows * cols, 9), rows, format, groupSize, 'w'));
    const part = quantizedRows(quantizeRows(seeded(rows * cols, 9), rows, format, groupSize, 'w'), 2, 3);
    expect(part.rows).toBe(3);
    expect(Array.from(dequantizeRows(part))).toEqual(Array.from(whole.subarray(2 * cols, 5 * cols)));
  });

  it('refuses shapes it cannot pack, naming the tensor', () => {
    expect(quantizationProblem('int4', 96, 64)).toBe('int4 in groups of 64 needs a multiple of 64 columns, not 96');
    expect(() => quantizeRows(new Float32Array(6), 2, 'int8', 32, 'model.x')).toThrow(
      'quantize model.x: int8 needs a multiple of 4 columns, not 3',
    );
    expect(() => quantizeRows(new Float32Array(24), 1, 'int4', 12, 'model.y')).toThrow(
      'quantize model.y: int4 needs a group size that is a multiple of 8, not 12',
    );
  });
});
