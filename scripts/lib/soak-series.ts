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
  /** Median of the last samples. */
  endBytes: number;
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
 * Growth of each series from the end of the warm-up (update `warmUp`) to the end of the run.
 * Both ends are medians of a few samples (a heap sampled mid-update holds that update's
 * temporaries). Throws when the run is too short to tell.
 */
export function judgeSoak(
  samples: readonly SoakSample[],
  bounds: Record<string, SoakBound>,
  warmUp = 10,
  window = 5,
): SoakVerdict[] {
  const last = samples.at(-1)?.update ?? 0;
  if (last < warmUp + 2 * window)
    throw new Error(`a soak of ${last} updates is too short: it needs at least ${warmUp + 2 * window}`);
  const near = samples.filter((s) => Math.abs(s.update - warmUp) <= window >> 1);
  const end = samples.slice(-window);
  return Object.entries(bounds).map(([series, bound]) => {
    const values = (list: readonly SoakSample[]) => {
      const found = list.map((s) => s.bytes[series]).filter((b) => b !== undefined);
      if (found.length === 0)
        throw new Error(`no samples of "${series}" ${list === end ? 'at the end' : `near update ${warmUp}`}`);
      return found;
    };
    const warmBytes = median(values(near));
    const endBytes = median(values(end));
    const growthBytes = endBytes - warmBytes;
    const updatesSince = last - warmUp;
    const allowedBytes = Math.max(
      bound.relative * warmBytes,
      bound.fixedBytes + (bound.perUpdateBytes ?? 0) * updatesSince,
    );
    return { series, warmBytes, endBytes, growthBytes, allowedBytes, ok: growthBytes <= allowedBytes };
  });
}
