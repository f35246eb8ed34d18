import type { RmsNormBackwardArgs, RmsNormForwardArgs } from '../backend';
import type { Floats } from './floats';

/** out (rows, C) = x · rstd · w, rstd (rows) = 1/√(mean(x²) + eps), saved for the backward. */
export function rmsNormForward({ out, rstd, inp, weight, rows, C, eps }: RmsNormForwardArgs<Floats>): void {
  for (let r = 0; r < rows; r++) {
    const base = r * C;
    let sq = 0;
    for (let i = 0; i < C; i++) sq += inp[base + i] * inp[base + i];
    const s = 1 / Math.sqrt(sq / C + eps);
    rstd[r] = s;
    for (let i = 0; i < C; i++) out[base + i] = inp[base + i] * s * weight[i];
  }
}

/** dinp (rows, C) (+)= rstd · (w·dout − x · rstd² · mean(x·w·dout)); the norm weight is frozen. */
export function rmsNormBackward({
  dinp,
  dout,
  inp,
  weight,
  rstd,
  rows,
  C,
  accumulate,
}: RmsNormBackwardArgs<Floats>): void {
  for (let r = 0; r < rows; r++) {
    const base = r * C;
    const s = rstd[r];
    let dot = 0;
    for (let i = 0; i < C; i++) dot += inp[base + i] * weight[i] * dout[base + i];
    const meanDot = dot / C;
    for (let i = 0; i < C; i++) {
      const g = s * (weight[i] * dout[base + i] - inp[base + i] * s * s * meanDot);
      dinp[base + i] = accumulate ? dinp[base + i] + g : g;
    }
  }
}
