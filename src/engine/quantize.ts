/**
 * Weight-only quantization of a model's matrices at load time, for models that only score
 * (teachers): int8 with one scale per row (output channel), or int4 with one scale per group
 * of `groupSize` values along the row. Symmetric: w ≈ scale · q, scale = max|w| / qmax, so
 * zero is exact. Values are packed into u32 words, the layout both backends' kernels read:
 *   int8: word i of a row holds values 4i..4i+3, value j in byte j (two's complement);
 *   int4: word i of a row holds values 8i..8i+7, value j in bits 4j..4j+3, stored as q + 8.
 */

export const quantFormats = ['int8', 'int4'] as const;
export type QuantFormat = (typeof quantFormats)[number];

/** A matrix (rows, cols) quantized by rows. */
export interface QuantizedMatrix {
  format: QuantFormat;
  rows: number;
  cols: number;
  /** Values per scale along a row: cols for int8 (one per row), the group size for int4. */
  groupSize: number;
  words: Uint32Array; //   (rows, cols / valuesPerWord)
  scales: Float32Array; // (rows, cols / groupSize)
}

export const valuesPerWord: Record<QuantFormat, number> = { int8: 4, int4: 8 };
const qmax: Record<QuantFormat, number> = { int8: 127, int4: 7 };

/** Why `format` cannot pack a matrix of `cols` columns in groups of `groupSize`, or undefined when it can. */
export function quantizationProblem(format: QuantFormat, cols: number, groupSize: number): string | undefined {
  if (format === 'int8') return cols % 4 === 0 ? undefined : `int8 needs a multiple of 4 columns, not ${cols}`;
  if (groupSize <= 0 || groupSize % 8 !== 0) return `int4 needs a group size that is a multiple of 8, not ${groupSize}`;
  if (cols % groupSize !== 0)
    return `int4 in groups of ${groupSize} needs a multiple of ${groupSize} columns, not ${cols}`;
  return undefined;
}

/** Rows r0..r0+rows of m, sharing its storage: every row starts on a whole word and a whole group of scales. */
export function quantizedRows(m: QuantizedMatrix, r0: number, rows: number): QuantizedMatrix {
  const wordsPerRow = m.cols / valuesPerWord[m.format];
  const scalesPerRow = m.cols / m.groupSize;
  return {
    ...m,
    rows,
    words: m.words.subarray(r0 * wordsPerRow, (r0 + rows) * wordsPerRow),
    scales: m.scales.subarray(r0 * scalesPerRow, (r0 + rows) * scalesPerRow),
  };
}

/** Quantizes `data` (rows, cols); int8 ignores `groupSize` (one scale per row). */
export function quantizeRows(
  data: Float32Array,
  rows: number,
  format: QuantFormat,
  groupSize: number,
  label: string,
): QuantizedMatrix {
  const cols = data.length / rows;
  const problem = quantizationProblem(format, cols, groupSize);
  if (problem !== undefined) throw new Error(`quantize ${label}: ${problem}`);
  const group = format === 'int8' ? cols : groupSize;
  const perWord = valuesPerWord[format];
  const bits = 32 / perWord;
  const words = new Uint32Array((rows * cols) / perWord);
  const scales = new Float32Array((rows * cols) / group);
  for (let g = 0; g < scales.length; g++) {
    const start = g * group;
    let max = 0;
    for (let i = start; i < start + group; i++) max = Math.max(max, Math.abs(data[i]));
    const scale = max / qmax[format];
    scales[g] = scale;
    for (let i = start; i < start + group; i++) {
      const q = scale === 0 ? 0 : Math.max(-qmax[format], Math.min(qmax[format], Math.round(data[i] / scale)));
      const stored = format === 'int8' ? q & 0xff : q + 8;
      words[Math.floor(i / perWord)] |= stored << (bits * (i % perWord));
    }
  }
  return { format, rows, cols, groupSize: group, words, scales };
}

/** Values [c0, c0 + out.length) of row `row`, dequantized into `out`. */
export function dequantizeRow(m: QuantizedMatrix, row: number, out: Float32Array | Float64Array, c0 = 0): void {
  // The CPU's matmul calls this for every row of every panel: keep the inner loop to shifts and one multiply.
  const { words, scales, groupSize } = m;
  const base = row * m.cols + c0;
  const int8 = m.format === 'int8';
  let j = 0;
  while (j < out.length) {
    const i = base + j;
    const scale = scales[Math.floor(i / groupSize)];
    const end = Math.min(out.length, j + groupSize - (i % groupSize)); // the rest of this group
    if (int8)
      for (; j < end; j++) {
        const k = base + j;
        out[j] = ((words[k >>> 2] << (24 - 8 * (k & 3))) >> 24) * scale;
      }
    else
      for (; j < end; j++) {
        const k = base + j;
        out[j] = (((words[k >>> 3] >>> (4 * (k & 7))) & 15) - 8) * scale;
      }
  }
}

/** The whole matrix dequantized: what a kernel reading `m` computes with. */
export function dequantizeRows(m: QuantizedMatrix): Float32Array {
  const out = new Float32Array(m.rows * m.cols);
  for (let r = 0; r < m.rows; r++) dequantizeRow(m, r, out.subarray(r * m.cols, (r + 1) * m.cols));
  return out;
}
