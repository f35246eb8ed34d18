import type { QuantizedMatrix } from '../quantize';

/** CPU tensors are plain float arrays: float32 normally, float64 for gradient checks. */
export type Floats = Float32Array | Float64Array;

/** A CPU tensor: float values, or a matrix quantized by rows (a scoring model's weights). */
export type CpuTensor = Floats | QuantizedMatrix;

export function isQuantized(t: CpuTensor): t is QuantizedMatrix {
  return 'words' in t;
}
