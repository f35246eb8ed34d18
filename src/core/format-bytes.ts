/** Sizes with their units, for the views and the command line. */

const byteUnits = ['kB', 'MB', 'GB', 'TB'] as const;

/** Decimal units, about three digits: 950 → "950 B", 2_400_000 → "2.4 MB", 152_300_000 → "152 MB". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 1000) return `${Math.round(bytes)} B`;
  let value = bytes;
  let unit = 'B';
  for (const u of byteUnits) {
    if (value < 1000) break;
    value /= 1000;
    unit = u;
  }
  return `${value.toFixed(value < 100 ? 1 : 0)} ${unit}`;
}
