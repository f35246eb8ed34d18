/** Sizes, durations and counts with their units, for the Models and Rollouts views. */

export { formatBytes } from '../../core/format-bytes';

/** 0.43 → "0.4 s", 12.6 → "13 s", 125 → "2 min 5 s", 120 → "2 min", 3725 → "1 h 2 min". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '—';
  if (seconds < 9.95) return `${seconds.toFixed(1)} s`;
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole} s`;
  const minutes = Math.floor(whole / 60);
  const unitPair = (big: number, bigUnit: string, small: number, smallUnit: string) =>
    small === 0 ? `${big} ${bigUnit}` : `${big} ${bigUnit} ${small} ${smallUnit}`;
  if (minutes < 60) return unitPair(minutes, 'min', whole % 60, 's');
  return unitPair(Math.floor(minutes / 60), 'h', minutes % 60, 'min');
}

/** Parameter counts in millions (or billions): 630_000 → "0.63 M", 596_049_920 → "596 M", 1.7e9 → "1.70 B". */
export function formatParameters(count: number): string {
  if (count >= 1e9) return `${(count / 1e9).toFixed(2)} B`;
  const millions = count / 1e6;
  return `${millions.toFixed(millions < 10 ? 2 : millions < 100 ? 1 : 0)} M`;
}

/** Thousands separated: 151936 → "151,936". */
export const formatCount = (n: number): string => n.toLocaleString('en-US');
