/**
 * One colour per training run, in run order. Fixed hex values (not theme variables) so a
 * run keeps its colour when the theme changes; each has at least 3:1 contrast (WCAG's
 * threshold for graphical objects) against both panel colours of src/ui/styles.css,
 * #ffffff (light) and #19212b (dark). Blue and orange come first: the pair stays apart
 * under the common colour-vision deficiencies.
 */
export const runPalette: readonly string[] = [
  '#3b7dd8',
  '#d9661f',
  '#2a9863',
  '#c94f8a',
  '#8a6cd6',
  '#a8831a',
  '#2496a8',
  '#d64b4b',
];

/** Runs past the palette's length reuse its colours with a dashed line. */
export function runStyle(index: number): { color: string; dash?: string } {
  const color = runPalette[index % runPalette.length];
  return index < runPalette.length ? { color } : { color, dash: '6 3' };
}
