// @vitest-environment jsdom
import { cleanup, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { chartData, chartSpecs, weightCaps } from './chartData';
import { metrics, point, run, twoRuns } from './fixtures';
import { runPalette } from './palette';
import { TrainingCharts } from './TrainingCharts';

afterEach(cleanup);

const size = { width: 320, height: 200 };

function figure(key: string): HTMLElement {
  const el = document.querySelector<HTMLElement>(`figure[data-chart="${key}"]`);
  if (el === null) throw new Error(`no chart ${key}`);
  return el;
}

describe('TrainingCharts', () => {
  it('shows the empty state until some run has metrics', () => {
    render(<TrainingCharts runs={[run('a', 'SOD #1', 'sod', [])]} size={size} />);
    expect(screen.getByText(/Run updates to see the charts fill in/)).toBeTruthy();
    expect(document.querySelectorAll('figure')).toHaveLength(0);
  });

  it('draws every chart with a caption, one line per run, and the expected point counts', () => {
    render(<TrainingCharts runs={twoRuns()} size={size} />);
    // 3 SOD updates + 2 GRPO updates on every per-update chart; d_k and w_k only for SOD; w_k by step = the latest SOD update's 3 step indices.
    const expected: Record<string, number> = {
      loss: 5,
      reward: 5,
      accuracy: 5,
      heldOut: 5,
      divergence: 3,
      weight: 3,
      kl: 5,
      clip: 5,
      throughput: 5,
      weightByStep: 3,
    };
    expect(chartSpecs.map((s) => s.key).sort()).toEqual(Object.keys(expected).sort());
    for (const spec of chartSpecs) {
      const fig = figure(spec.key);
      expect(fig.getAttribute('data-points'), spec.key).toBe(String(expected[spec.key]));
      const caption = fig.querySelector('figcaption');
      expect(caption?.textContent, spec.key).toContain(spec.title);
      expect(caption?.textContent, spec.key).toContain(spec.unit);
      expect(fig.getAttribute('aria-label'), spec.key).toContain(spec.title);
      // The chart really draws them: one dot per plotted point, one curve per run that has points.
      expect(fig.querySelectorAll('.recharts-line-dot').length, spec.key).toBe(expected[spec.key]);
    }
    const lossCurves = figure('loss').querySelectorAll('path.recharts-line-curve');
    expect([...lossCurves].map((p) => p.getAttribute('stroke'))).toEqual([runPalette[0], runPalette[1]]);
    expect(figure('accuracy').textContent).toContain('%');
    expect(figure('divergence').textContent).toContain('nats/token');
  });

  it('names both runs in the legend, in their line colours', () => {
    render(<TrainingCharts runs={twoRuns()} size={size} />);
    const legend = screen.getByRole('list', { name: 'Runs' });
    const items = within(legend).getAllByRole('listitem');
    expect(items.map((li) => li.textContent)).toEqual(['SOD #1', 'GRPO #2']);
    expect(items[1].querySelector('circle')?.getAttribute('fill')).toBe(runPalette[1]);
  });

  it('draws the held-out curve of each run in its colour, with a dot per evaluation', () => {
    render(<TrainingCharts runs={twoRuns()} size={size} />);
    const fig = screen.getByRole('figure', { name: /^Held-out accuracy/ });
    expect(fig.getAttribute('data-chart')).toBe('heldOut');
    expect(fig.querySelector('figcaption')?.textContent).toContain('%');
    const curves = [...fig.querySelectorAll('path.recharts-line-curve')];
    expect(curves.map((p) => p.getAttribute('stroke'))).toEqual([runPalette[0], runPalette[1]]);
    // SOD: before, after update 2, after update 3; GRPO: before and after.
    const dotFills = [...fig.querySelectorAll('.recharts-line-dot')].map((d) => d.getAttribute('fill'));
    expect(dotFills.filter((f) => f === runPalette[0])).toHaveLength(3);
    expect(dotFills.filter((f) => f === runPalette[1])).toHaveLength(2);
  });

  it('shows the held-out point taken before update 1 while no update has finished yet', () => {
    const live = run('a', 'SOD #1', 'sod', [], { status: 'running', curve: [point(0, 1, 2)] });
    const { rerender } = render(<TrainingCharts runs={[live]} size={size} />);
    expect(figure('heldOut').getAttribute('data-points')).toBe('1');
    expect(figure('loss').textContent).toContain('No points yet.');
    // Points arriving later extend the same curve.
    rerender(
      <TrainingCharts
        runs={[{ ...live, metrics: [metrics(1)], curve: [point(0, 1, 2), point(1, 2, 2)] }]}
        size={size}
      />,
    );
    expect(figure('heldOut').querySelectorAll('.recharts-line-dot')).toHaveLength(2);
  });

  it('says so in words when no run has a held-out evaluation', () => {
    render(<TrainingCharts runs={[run('a', 'SOD #1', 'sod', [metrics(1)])]} size={size} />);
    expect(figure('heldOut').getAttribute('data-points')).toBe('0');
    expect(figure('heldOut').textContent).toMatch(/No held-out evaluation yet/);
    expect(figure('heldOut').querySelector('svg')).toBeNull();
  });

  it('explains empty step charts when only grpo runs have metrics', () => {
    render(<TrainingCharts runs={[twoRuns()[1]]} size={size} />);
    expect(figure('loss').getAttribute('data-points')).toBe('2');
    for (const key of ['divergence', 'weight', 'weightByStep']) {
      expect(figure(key).getAttribute('data-points')).toBe('0');
      expect(figure(key).textContent).toMatch(/grpo runs have none/);
    }
  });
});

describe('chartData', () => {
  it('merges runs by update number and scales fractions to percent', () => {
    const [sod, grpo] = twoRuns();
    const { rows, points } = chartData('accuracy', [sod, grpo]);
    expect(points).toBe(5);
    expect(rows.map((r) => r.x)).toEqual([1, 2, 3]);
    expect(rows[2]).toEqual({ x: 3, run0: 37.5 });
    expect(rows[0]).toEqual({ x: 1, run0: 25, run1: 25 });
  });

  it('plots the held-out curve by update, before training at update 0, in percent', () => {
    const { rows, points } = chartData('heldOut', twoRuns());
    expect(points).toBe(5);
    expect(rows).toEqual([
      { x: 0, run0: 25, run1: 25 },
      { x: 2, run0: 50, run1: 25 },
      { x: 3, run0: 75 },
    ]);
  });

  it('plots the latest update by step index and skips non-finite values', () => {
    const [sod] = twoRuns();
    expect(chartData('weightByStep', [sod]).rows).toEqual([
      { x: 1, run0: 1 },
      { x: 2, run0: 1.2 },
      { x: 3, run0: 1.2 },
    ]);
    const diverged = run('c', 'SOD #3', 'sod', [metrics(1), metrics(2, { loss: Number.NaN })]);
    expect(chartData('loss', [diverged]).points).toBe(1);
  });

  it('draws the cap 1 + δ once per distinct δ of the SOD runs', () => {
    const [sod, grpo] = twoRuns();
    expect(weightCaps([sod, grpo])).toEqual([1.2]);
  });
});

describe('runPalette', () => {
  const luminance = (hex: string): number => {
    const [r, g, b] = [1, 3, 5]
      .map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
      .map((v) => (v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const contrast = (a: string, b: string): number => {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  it('has 3:1 contrast on the light and the dark panel (src/ui/styles.css)', () => {
    for (const colour of runPalette) {
      expect(contrast(colour, '#ffffff'), colour).toBeGreaterThanOrEqual(3);
      expect(contrast(colour, '#19212b'), colour).toBeGreaterThanOrEqual(3);
    }
    expect(new Set(runPalette).size).toBe(runPalette.length);
  });
});
