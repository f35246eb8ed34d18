/**
 * Symmetric 4-bit block quantization in the layout of onnxruntime's com.microsoft
 * MatMulNBits (bits 4): a weight W of N rows (outputs) × K columns (inputs) is cut along K
 * into blocks of `blockSize`; block b of row n keeps one float scale s = scales[n·blocks + b]
 * and codes q ∈ 0..15 with w ≈ (q − 8)·s. No zero-point input is written, so the operator
 * uses its default, 8. Codes are packed two per byte, the even element in the low nibble:
 * packed has shape [N, blocks, blockSize / 2]. A last block that K does not fill is padded
 * with code 8 (zero).
 */

export interface Q4Weight {
  packed: Uint8Array;
  scales: Float32Array;
  blocks: number;
}

export const q4BlockSizes = [32, 64, 128] as const;
export type Q4BlockSize = (typeof q4BlockSizes)[number];

/** Quantizes a row-major N × K weight. */
export function quantizeQ4(weight: Float32Array, N: number, K: number, blockSize: number): Q4Weight {
  if (weight.length !== N * K) throw new Error(`quantizeQ4: ${weight.length} values are not ${N}×${K}`);
  if (blockSize < 16 || (blockSize & (blockSize - 1)) !== 0)
    throw new Error(`quantizeQ4: block size ${blockSize} is not a power of two ≥ 16`);
  const blocks = Math.ceil(K / blockSize);
  const half = blockSize / 2;
  const packed = new Uint8Array(N * blocks * half).fill(0x88);
  const scales = new Float32Array(N * blocks);
  const codes = new Uint8Array(blockSize);
  for (let n = 0; n < N; n++) {
    for (let b = 0; b < blocks; b++) {
      const start = n * K + b * blockSize;
      const length = Math.min(blockSize, K - b * blockSize);
      // The value of largest magnitude maps to code 0 (−8·s), so s may be negative: that way
      // all 16 codes are used, where max|w|/7 would leave −8 idle.
      let extreme = 0;
      for (let i = 0; i < length; i++) if (Math.abs(weight[start + i]) > Math.abs(extreme)) extreme = weight[start + i];
      const scale = extreme / -8;
      const inverse = scale === 0 ? 0 : 1 / scale;
      codes.fill(8);
      for (let i = 0; i < length; i++)
        codes[i] = Math.min(15, Math.max(0, Math.round(weight[start + i] * inverse) + 8));
      scales[n * blocks + b] = scale;
      const at = (n * blocks + b) * half;
      for (let j = 0; j < half; j++) packed[at + j] = codes[2 * j] | (codes[2 * j + 1] << 4);
    }
  }
  return { packed, scales, blocks };
}

/** The N × K weight the operator computes with (for tests and error estimates). */
export function dequantizeQ4(q: Q4Weight, N: number, K: number, blockSize: number): Float32Array {
  const out = new Float32Array(N * K);
  const half = blockSize / 2;
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      const b = Math.floor(k / blockSize);
      const i = k % blockSize;
      const byte = q.packed[(n * q.blocks + b) * half + (i >> 1)];
      const code = i % 2 === 0 ? byte & 15 : byte >> 4;
      out[n * K + k] = (code - 8) * q.scales[n * q.blocks + b];
    }
  }
  return out;
}
