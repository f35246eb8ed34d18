import { checkMask, type Numbers } from './validate';

/** A step: a maximal run of generated tokens (mask 1), as the half-open token range [start, end). */
export type StepSpan = readonly [start: number, end: number];

/**
 * Splits a trajectory into steps: maximal runs of 1s in the mask. Tool output and the
 * chat-template glue around it (mask 0) separate steps. An all-zero mask has no steps.
 */
export function stepSpans(mask: Numbers): StepSpan[] {
  checkMask('mask', mask);
  const spans: StepSpan[] = [];
  let start = -1;
  for (let t = 0; t < mask.length; t++) {
    if (mask[t] === 1 && start < 0) start = t;
    if (mask[t] === 0 && start >= 0) {
      spans.push([start, t]);
      start = -1;
    }
  }
  if (start >= 0) spans.push([start, mask.length]);
  return spans;
}

/** For every token, the 0-based index of its step, or -1 for masked-out tokens. */
export function stepIndexOfTokens(steps: readonly StepSpan[], length: number): Int32Array {
  const index = new Int32Array(length).fill(-1);
  steps.forEach(([start, end], k) => index.fill(k, start, end));
  return index;
}
