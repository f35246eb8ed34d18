import { describe, expect, it } from 'vitest';
import { judgeSoak, type SoakSample } from '../scripts/lib/soak-series';

const MiB = 2 ** 20;

/** 60 updates of one series: `at(u)` bytes after update u. */
const run = (at: (u: number) => number): SoakSample[] =>
  Array.from({ length: 60 }, (_, i) => ({ update: i + 1, bytes: { heap: at(i + 1) } }));

describe('judgeSoak', () => {
  it('passes a series that grows during the warm-up and then stays flat, with noise', () => {
    const samples = run((u) => (u <= 10 ? u * 4 * MiB : 40 * MiB + ((u * 7919) % 5) * 0.2 * MiB));
    const [verdict] = judgeSoak(samples, { heap: { relative: 0.1, fixedBytes: MiB } });
    expect(verdict.ok).toBe(true);
    expect(verdict.growthBytes).toBeLessThan(MiB);
  });

  it('fails a series that leaks a little every update', () => {
    const samples = run((u) => 40 * MiB + u * 0.5 * MiB);
    const [verdict] = judgeSoak(samples, { heap: { relative: 0.1, fixedBytes: 8 * MiB } });
    expect(verdict.ok).toBe(false);
    expect(verdict.bytesPerUpdate).toBe(0.5 * MiB);
    expect(verdict.growthBytes).toBe(25 * MiB);
    expect(verdict.allowedBytes).toBe(8 * MiB);
  });

  it('allows what the run keeps per update, and no more', () => {
    const kept = 0.25 * MiB;
    const keeping = judgeSoak(
      run((u) => 20 * MiB + u * kept),
      { heap: { relative: 0, fixedBytes: MiB, perUpdateBytes: kept } },
    );
    expect(keeping[0].ok).toBe(true);
    const leaking = judgeSoak(
      run((u) => 20 * MiB + u * 2 * kept),
      { heap: { relative: 0, fixedBytes: MiB, perUpdateBytes: kept } },
    );
    expect(leaking[0].ok).toBe(false);
  });

  it('follows the trend, so samples caught mid-update do not fail a flat series', () => {
    // One in five samples holds an update's temporaries, late in the run.
    const samples = run((u) => (u % 5 === 0 && u > 40 ? 90 * MiB : 30 * MiB));
    expect(judgeSoak(samples, { heap: { relative: 0.1, fixedBytes: MiB } })[0]).toMatchObject({
      ok: true,
      growthBytes: 0,
    });
  });

  it('refuses a run too short to tell, and a series never sampled', () => {
    expect(() => judgeSoak(run(() => MiB).slice(0, 15), { heap: { relative: 0.1, fixedBytes: 0 } })).toThrow(
      /too short/,
    );
    expect(() =>
      judgeSoak(
        run(() => MiB),
        { gpu: { relative: 0.1, fixedBytes: 0 } },
      ),
    ).toThrow(/no samples of "gpu"/);
  });
});
