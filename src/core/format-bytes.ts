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

/** "8GB", "8 GB", "512MB", "1.5 GiB", "2000000000" as bytes (kB, MB… decimal; KiB, MiB… binary); undefined for anything else. */
export function parseByteSize(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(|k|m|g|t)(i?)b?\s*$/i.exec(text);
  if (match === null) return undefined;
  const power = ['', 'k', 'm', 'g', 't'].indexOf(match[2].toLowerCase());
  return Math.round(Number(match[1]) * (match[3] === '' ? 1000 : 1024) ** power);
}
