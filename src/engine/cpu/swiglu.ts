import type { Floats } from './floats';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** out = silu(gate) · up, elementwise over n values. */
export function swigluForward(out: Floats, gate: Floats, up: Floats, n: number): void {
  for (let i = 0; i < n; i++) {
    const g = gate[i];
    out[i] = g * sigmoid(g) * up[i];
  }
}

/** dgate = dout · up · σ(g)(1 + g(1 − σ(g))), dup = dout · silu(g). */
export function swigluBackward(dgate: Floats, dup: Floats, dout: Floats, gate: Floats, up: Floats, n: number): void {
  for (let i = 0; i < n; i++) {
    const g = gate[i];
    const s = sigmoid(g);
    dgate[i] = dout[i] * up[i] * s * (1 + g * (1 - s));
    dup[i] = dout[i] * g * s;
  }
}
