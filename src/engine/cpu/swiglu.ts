import type { SwigluBackwardArgs, SwigluForwardArgs } from '../backend';
import type { Floats } from './floats';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** out = silu(gate) · up, elementwise over n values. */
export function swigluForward({ out, gate, up, n }: SwigluForwardArgs<Floats>): void {
  for (let i = 0; i < n; i++) {
    const g = gate[i];
    out[i] = g * sigmoid(g) * up[i];
  }
}

/** dgate = dout · up · σ(g)(1 + g(1 − σ(g))), dup = dout · silu(g). */
export function swigluBackward({ dgate, dup, dout, gate, up, n }: SwigluBackwardArgs<Floats>): void {
  for (let i = 0; i < n; i++) {
    const g = gate[i];
    const s = sigmoid(g);
    dgate[i] = dout[i] * up[i] * s * (1 + g * (1 - s));
    dup[i] = dout[i] * g * s;
  }
}
