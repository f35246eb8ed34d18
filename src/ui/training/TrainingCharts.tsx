import { CartesianGrid, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { TrainingRun } from '../../store/training/types';
import { chartData, chartSpecs, seriesKey, weightCaps, type ChartKey, type ChartSpec } from './chartData';
import { formatAdaptive, formatTick } from './format';
import { runStyle } from './palette';
import './training.css';

interface Props {
  runs: readonly TrainingRun[];
  /** Fixed size of each chart for tests (jsdom has no layout); the app lets each chart fill its grid cell. */
  size?: { width: number; height: number };
}

const CHART_HEIGHT = 200;

/** Why a chart has no points, in words. */
function emptyText(key: ChartKey): string {
  if (key === 'weightByStep' || key === 'divergence' || key === 'weight')
    return 'No step weighting yet (grpo runs have none).';
  if (key === 'heldOut') return 'No held-out evaluation yet (runs with 0 held-out problems have none).';
  return 'No points yet.';
}

/** One line per run; the legend above the grid names the colours. */
function RunChart({ spec, runs, size }: { spec: ChartSpec; runs: readonly TrainingRun[]; size?: Props['size'] }) {
  const { rows, points } = chartData(spec.key, runs);
  const xName = spec.x === 'update' ? 'update' : 'step k';
  const chart = (
    <LineChart data={rows} margin={{ top: 8, right: 12, bottom: 4, left: 0 }} {...size}>
      <CartesianGrid strokeDasharray="3 3" stroke="var(--grid)" />
      <XAxis
        dataKey="x"
        type="number"
        domain={['dataMin', 'dataMax']}
        allowDecimals={false}
        stroke="var(--muted)"
        tick={{ fontSize: 11 }}
        label={{ value: xName, position: 'insideBottomRight', offset: -2, fill: 'var(--muted)', fontSize: 11 }}
        height={32}
      />
      <YAxis
        stroke="var(--muted)"
        tick={{ fontSize: 11 }}
        tickFormatter={formatTick}
        width={58}
        domain={spec.y ?? ['auto', 'auto']}
      />
      <Tooltip
        labelFormatter={(x) => `${xName} ${String(x)}`}
        formatter={(value) => (typeof value === 'number' ? formatAdaptive(value, 4) : String(value))}
        contentStyle={{ background: 'var(--panel)', borderColor: 'var(--border)', color: 'var(--text)' }}
      />
      {spec.key === 'weightByStep' &&
        weightCaps(runs).map((cap) => (
          <ReferenceLine
            key={cap}
            y={cap}
            stroke="var(--muted)"
            strokeDasharray="6 4"
            label={{ value: `cap ${cap.toFixed(2)}`, fill: 'var(--muted)', fontSize: 11, position: 'insideTopRight' }}
          />
        ))}
      {runs.map((run, i) => {
        const { color, dash } = runStyle(i);
        return (
          <Line
            key={run.id}
            type="linear"
            dataKey={seriesKey(i)}
            name={run.label}
            stroke={color}
            strokeWidth={2}
            strokeDasharray={dash}
            dot={{ r: 3, fill: color, stroke: color }}
            activeDot={{ r: 5 }}
            connectNulls
            isAnimationActive={false}
          />
        );
      })}
    </LineChart>
  );
  const label = `${spec.title} (${spec.unit}) by ${spec.x === 'update' ? 'update' : 'step index'}`;
  return (
    <figure className="training-chart" data-chart={spec.key} data-points={points} aria-label={label}>
      <figcaption>
        {spec.title} <span className="training-unit">({spec.unit})</span>
      </figcaption>
      {points === 0 ? (
        <p className="training-chart-empty">{emptyText(spec.key)}</p>
      ) : size ? (
        chart
      ) : (
        <ResponsiveContainer width="100%" height={CHART_HEIGHT}>
          {chart}
        </ResponsiveContainer>
      )}
    </figure>
  );
}

/**
 * Loss, reward, accuracy, held-out accuracy, d_k, w_k, KL, clip fraction and throughput per update,
 * one coloured line per run, and w_k by step index.
 */
export function TrainingCharts({ runs, size }: Props) {
  // The held-out evaluation before the first update is a point already: show it while update 1 runs.
  if (!runs.some((r) => r.metrics.length > 0 || r.curve.length > 0)) {
    return (
      <section className="training-charts-section" aria-label="Training charts">
        <div className="empty">Run updates to see the charts fill in.</div>
      </section>
    );
  }
  return (
    <section className="training-charts-section" aria-label="Training charts">
      <ul className="training-legend" aria-label="Runs">
        {runs.map((run, i) => {
          const { color, dash } = runStyle(i);
          return (
            <li key={run.id}>
              <svg className="training-swatch" width="22" height="10" aria-hidden="true">
                <line x1="1" y1="5" x2="21" y2="5" stroke={color} strokeWidth="3" strokeDasharray={dash} />
                <circle cx="11" cy="5" r="3" fill={color} />
              </svg>
              <span>{run.label}</span>
            </li>
          );
        })}
      </ul>
      <div className="training-charts">
        {chartSpecs.map((spec) => (
          <RunChart key={spec.key} spec={spec} runs={runs} size={size} />
        ))}
      </div>
    </section>
  );
}
