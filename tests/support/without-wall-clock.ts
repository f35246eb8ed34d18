/** The fields that hold wall-clock times (update metrics, trajectories, tool calls): they differ from run to run. */
const wallClockKeys = new Set(['seconds', 'tokensPerSecond', 'timings', 'duration_ms']);

/** A copy of `value` without its wall-clock fields, at any depth: what two runs of the same seeds must agree on. */
export function withoutWallClock(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutWallClock);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !wallClockKeys.has(key))
      .map(([key, v]) => [key, withoutWallClock(v)]),
  );
}
