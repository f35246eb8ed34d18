import type { RopeArgs } from '../backend';
import type { Floats } from './floats';

/** cos and sin of position p and frequency i < D/2 (angle p · θ^(−2i/D)), in float64, as (positions, D/2, 2). */
export function ropeTable(D: number, theta: number, positions: number): Float64Array {
  const half = D / 2;
  const table = new Float64Array(positions * half * 2);
  for (let p = 0; p < positions; p++) {
    for (let i = 0; i < half; i++) {
      const angle = p * theta ** ((-2 * i) / D);
      table[(p * half + i) * 2] = Math.cos(angle);
      table[(p * half + i) * 2 + 1] = Math.sin(angle);
    }
  }
  return table;
}

/**
 * Rotates x (T, heads, D) in place, Hugging Face rotate_half layout, token t at position
 * offset + t. direction −1 rotates back: the backward of the forward. `table` is
 * ropeTable(D, theta, ≥ offset + T), built once by the caller.
 */
export function rope({ x, T, heads, D, offset, direction }: RopeArgs<Floats>, table: Float64Array): void {
  const half = D / 2;
  for (let t = 0; t < T; t++) {
    const p = offset + t;
    for (let h = 0; h < heads; h++) {
      const base = (t * heads + h) * D;
      for (let i = 0; i < half; i++) {
        const c = table[(p * half + i) * 2];
        const s = direction * table[(p * half + i) * 2 + 1];
        const a = x[base + i];
        const b = x[base + i + half];
        x[base + i] = a * c - b * s;
        x[base + i + half] = b * c + a * s;
      }
    }
  }
}
