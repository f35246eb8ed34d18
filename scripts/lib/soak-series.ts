/**
 * The soak test's verdict on memory series sampled after each update: how much each grew after
 * the warm-up, and whether that stays within its bound. Pure, so the rule is tested apart from
 * the browser run that feeds it (scripts/soak.ts).
 */

/** One sample per finished update: bytes of each series (page heap, worker heaps, engines). */
export interface SoakSample {
  update: number;
  bytes: Record<string, number>;
}

/**
 * What a series may grow by after the warm-up: `relative` of its warm-up level, or
 * `fixedBytes + perUpdateBytes × updates since`, whichever is larger. `perUpdateBytes` is for
 * what a run legitimately keeps (the page keeps every update's trajectories and metrics).
 */
export interface SoakBound {
  relative: number;
  fixedBytes: number;
  perUpdateBytes?: number;
}

export interface SoakVerdict {
  series: string;
  /** Median of the samples around the end of the warm-up. */
  warmBytes: number;
  /** Growth per update after the warm-up (the Theil–Sen slope: the median of the pairwise slopes). */
  bytesPerUpdate: number;
  /** That slope over the updates after the warm-up. */
  growthBytes: number;
  allowedBytes: number;
  ok: boolean;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/**
 * The trend of a series: the median of the slopes between every two samples. A heap sampled
 * mid-update holds that update's temporaries (here ±10 MiB from sample to sample); a few such
 * samples move neither this slope nor the verdict, where the ends' difference would swing.
 */
function theilSen(points: readonly [x: number, y: number][]): number {
  const slopes: number[] = [];
  for (let i = 0; i < points.length; i++)
    for (let j = i + 1; j < points.length; j++)
      if (points[j][0] !== points[i][0]) slopes.push((points[j][1] - points[i][1]) / (points[j][0] - points[i][0]));
  return median(slopes);
}

/**
 * Growth of each series after the warm-up (update `warmUp`) to the end of the run: its trend
 * over the samples from update `warmUp` on, times the updates since. Throws when the run is too
 * short to tell or a series was never sampled.
 */
export function judgeSoak(
  samples: readonly SoakSample[],
  bounds: Record<string, SoakBound>,
  warmUp = 10,
): SoakVerdict[] {
  const last = samples.at(-1)?.update ?? 0;
  if (last < 2 * warmUp) throw new Error(`a soak of ${last} updates is too short: it needs at least ${2 * warmUp}`);
  return Object.entries(bounds).map(([series, bound]) => {
    const points = samples
      .filter((s) => s.update >= warmUp && s.bytes[series] !== undefined)
      .map((s): [number, number] => [s.update, s.bytes[series]]);
    if (points.length < warmUp) throw new Error(`no samples of "${series}" after update ${warmUp}`);
    const warmBytes = median(points.slice(0, 5).map(([, y]) => y));
    const bytesPerUpdate = theilSen(points);
    const updatesSince = last - warmUp;
    const growthBytes = bytesPerUpdate * updatesSince;
    const allowedBytes = Math.max(
      bound.relative * warmBytes,
      bound.fixedBytes + (bound.perUpdateBytes ?? 0) * updatesSince,
    );
    return { series, warmBytes, bytesPerUpdate, growthBytes, allowedBytes, ok: growthBytes <= allowedBytes };
  });
}
