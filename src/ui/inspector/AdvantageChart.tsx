import {
  CartesianGrid,
  ComposedChart,
  Legend,
  Line,
  ReferenceArea,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { StepWeighting } from '../../sod/weights';
import { Explain } from '../explain/Explain';
import './inspector.css';

interface Props {
  sod: StepWeighting;
  opd: StepWeighting;
  labels: (t: number) => string;
  /** A token to mark (the one the token card describes). */
  highlight?: number | null;
  /** Fixed size for tests (jsdom has no layout); the app lets the chart fill its panel. */
  size?: { width: number; height: number };
}

/** Sum and mean over the generated tokens of one method's a_t, for the line under the chart. */
function totals(w: StepWeighting): { sum: number; mean: number } {
  let sum = 0;
  for (const [start, end] of w.steps) for (let t = start; t < end; t++) sum += w.distillAdvantages[t];
  const n = w.tokensPerStep.reduce((a, b) => a + b, 0);
  return { sum, mean: n > 0 ? sum / n : 0 };
}

/** The tool-output stretches (no step) as half-open ranges, to shade them. */
function maskedRuns(w: StepWeighting): [number, number][] {
  const runs: [number, number][] = [];
  let at = 0;
  for (const [start, end] of w.steps) {
    if (start > at) runs.push([at, start]);
    at = end;
  }
  if (at < w.distillAdvantages.length) runs.push([at, w.distillAdvantages.length]);
  return runs;
}

/** a_t under SOD and OPD at every response position (0 on tool output), with the totals as numbers. */
export function AdvantageChart({ sod, opd, labels, highlight, size }: Props) {
  const length = sod.distillAdvantages.length;
  const data = Array.from({ length }, (_, t) => ({ t, sod: sod.distillAdvantages[t], opd: opd.distillAdvantages[t] }));
  const sodTotals = totals(sod);
  const opdTotals = totals(opd);
  const chart = (
    <ComposedChart data={data} margin={{ top: 8, right: 16, bottom: 4, left: 4 }} {...size}>
      <CartesianGrid strokeDasharray="3 3" stroke="var(--grid)" />
      {maskedRuns(sod).map(([start, end]) => (
        <ReferenceArea
          key={start}
          x1={start - 0.5}
          x2={end - 0.5}
          fill="var(--inserted)"
          fillOpacity={0.8}
          ifOverflow="hidden"
        />
      ))}
      <XAxis
        dataKey="t"
        type="number"
        domain={[-0.5, Math.max(length - 0.5, 0.5)]}
        allowDecimals={false}
        stroke="var(--muted)"
        label={{ value: 'token position t', position: 'insideBottomRight', offset: -2, fill: 'var(--muted)' }}
        height={36}
      />
      <YAxis
        stroke="var(--muted)"
        label={{ value: 'a_t (nats)', angle: -90, position: 'insideLeft', fill: 'var(--muted)' }}
      />
      <ReferenceLine y={0} stroke="var(--muted)" />
      {highlight !== undefined && highlight !== null && highlight < length && (
        <ReferenceLine x={highlight} stroke="var(--focus)" strokeWidth={2} />
      )}
      <Tooltip
        labelFormatter={(t) => (typeof t === 'number' ? `t = ${t}: ${JSON.stringify(labels(t))}` : String(t))}
        formatter={(value) => (typeof value === 'number' ? value.toFixed(4) : String(value))}
        contentStyle={{ background: 'var(--panel)', borderColor: 'var(--border)' }}
      />
      <Legend />
      <Line
        dataKey="opd"
        name="a_t OPD = c·(τ − s)"
        type="step"
        stroke="var(--opd)"
        strokeDasharray="4 3"
        dot={false}
        isAnimationActive={false}
      />
      <Line
        dataKey="sod"
        name="a_t SOD = c·w_k·(τ − s)"
        type="step"
        stroke="var(--sod)"
        strokeWidth={2}
        dot={false}
        isAnimationActive={false}
      />
    </ComposedChart>
  );
  return (
    <section className="panel" aria-label="Per-token advantage">
      <h2>Per-token advantage a_t</h2>
      <p className="hint">Shaded: tool output (mask 0, a_t = 0). Above 0 the token is pushed up, below 0 down.</p>
      <Explain topic="advantage" />
      <Explain topic="opd" />
      {length === 0 ? (
        <p className="muted">This trajectory has no tokens.</p>
      ) : size ? (
        chart
      ) : (
        <ResponsiveContainer width="100%" height={220}>
          {chart}
        </ResponsiveContainer>
      )}
      <dl className="advantage-summary" aria-label="Advantage totals">
        <div>
          <dt>Σ a_t SOD (nats)</dt>
          <dd data-value="sum-sod">{sodTotals.sum.toFixed(4)}</dd>
        </div>
        <div>
          <dt>Σ a_t OPD (nats)</dt>
          <dd data-value="sum-opd">{opdTotals.sum.toFixed(4)}</dd>
        </div>
        <div>
          <dt>mean a_t SOD (nats/token)</dt>
          <dd data-value="mean-sod">{sodTotals.mean.toFixed(4)}</dd>
        </div>
        <div>
          <dt>mean a_t OPD (nats/token)</dt>
          <dd data-value="mean-opd">{opdTotals.mean.toFixed(4)}</dd>
        </div>
      </dl>
    </section>
  );
}
