/** CPU tensors are plain float arrays: float32 normally, float64 for gradient checks. */
export type Floats = Float32Array | Float64Array;
