/**
 * IEEE half (f16) and bfloat16 bit patterns to and from float32. Checkpoints arrive in bf16
 * or f16; the WebGPU backend may keep frozen weights as f16 or bf16 (two per u32 word).
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction === 0 ? sign * Infinity : NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

export function floatToBf16(x: number): number {
  f32[0] = x;
  const bits = u32[0];
  if ((bits & 0x7f800000) === 0x7f800000 && bits & 0x7fffff) return (bits >>> 16) | 0x40; // keep NaN a NaN
  return (bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16; // round to nearest even
}

/** The f16 nearest to x (ties to even); beyond ±65504 it is ±Infinity. */
export function floatToHalf(x: number): number {
  f32[0] = x;
  const bits = u32[0];
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  let mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const e = exponent - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - e;
    const rounded = (mantissa + (1 << (shift - 1)) - 1 + ((mantissa >> shift) & 1)) >> shift;
    return sign | rounded;
  }
  const rounded = mantissa + 0xfff + ((mantissa >> 13) & 1);
  if (rounded & 0x800000) return e + 1 >= 31 ? sign | 0x7c00 : sign | ((e + 1) << 10);
  return sign | (e << 10) | (rounded >> 13);
}

/**
 * `data` as bf16 bit patterns (the upper halves of its f32 values), padded to an even count,
 * or undefined when a value is not exactly a bf16: a checkpoint saved in bf16 passes whole,
 * one saved in f32 is left to be stored as it is.
 */
export function exactBf16(data: Float32Array): Uint16Array | undefined {
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  const out = new Uint16Array(data.length + (data.length % 2));
  for (let i = 0; i < bits.length; i++) {
    if ((bits[i] & 0xffff) !== 0) return undefined;
    out[i] = bits[i] >>> 16;
  }
  return out;
}

/** Whether every value of `data` is exactly a bf16 (its f32 bits end in 16 zeros). */
export function isExactBf16(data: Float32Array): boolean {
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  for (let i = 0; i < bits.length; i++) if ((bits[i] & 0xffff) !== 0) return false;
  return true;
}

/**
 * `data` as f16 bit patterns, padded to an even count (so it fills whole u32 words), or
 * undefined when a finite value is beyond f16's range and would become Infinity.
 */
export function toHalves(data: Float32Array): Uint16Array | undefined {
  const out = new Uint16Array(data.length + (data.length % 2));
  for (let i = 0; i < data.length; i++) {
    const h = floatToHalf(data[i]);
    if ((h & 0x7fff) === 0x7c00 && Number.isFinite(data[i])) return undefined;
    out[i] = h;
  }
  return out;
}

/** `data` rounded to the nearest bf16 values, as float32: what a checkpoint saved in bf16 holds. */
export function roundToBf16(data: Float32Array): Float32Array {
  const bits = new Uint32Array(data.length);
  for (let i = 0; i < data.length; i++) bits[i] = floatToBf16(data[i]) << 16;
  return new Float32Array(bits.buffer);
}

/** `data` rounded to the nearest f16 values, as float32: what f16 storage holds. */
export function roundToHalf(data: Float32Array): Float32Array {
  return data.map((x) => halfToFloat(floatToHalf(x)));
}
