/** Number formatting shared by the training views. Negative numbers use a true minus sign. */

const MINUS = '\u2212';

const withMinus = (text: string): string => (text.startsWith('-') ? MINUS + text.slice(1) : text);

/** Fixed decimals; NaN and ±∞ are shown as such (a diverged loss should be visible, not hidden). */
export function formatNumber(value: number, decimals: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : `${MINUS}∞`;
  const text = value.toFixed(decimals);
  // -0.0001 rounds to "-0.000": drop the sign of a zero.
  return Number(text) === 0 ? (0).toFixed(decimals) : withMinus(text);
}

/** Like formatNumber, but a small non-zero value (e.g. a KL of 3e-6) switches to exponent form instead of rounding to 0. */
export function formatAdaptive(value: number, decimals: number): string {
  if (Number.isFinite(value) && value !== 0 && Math.abs(value) < 0.5 * 10 ** -decimals)
    return withMinus(value.toExponential(1));
  return formatNumber(value, decimals);
}

/** A fraction in [0, 1] as a percentage with one decimal (no % sign). */
export const formatPercent = (fraction: number): string => formatNumber(fraction * 100, 1);

/** A difference with an explicit sign: "+12.5", "−3.0", "0.0". */
export function formatSigned(value: number, decimals: number): string {
  const text = formatNumber(value, decimals);
  return value > 0 && Number(text) !== 0 ? `+${text}` : text;
}

/** Axis ticks: compact, three significant digits. */
export function formatTick(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  return withMinus(abs >= 100_000 || abs < 0.001 ? value.toExponential(1) : String(Number(value.toPrecision(3))));
}
