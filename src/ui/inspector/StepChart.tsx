import {
  Bar,
  CartesianGrid,
  ComposedChart,
  Legend,
  Line,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { StepWeighting } from '../../sod/weights';
import { Explain } from '../explain/Explain';

interface Props {
  sod: StepWeighting;
  opd: StepWeighting;
  delta: number;
  /** Fixed size for tests (jsdom has no layout); the app lets the chart fill its panel. */
  size?: { width: number; height: number };
}

/** d_k as bars (left axis) with the SOD and OPD step weights as lines (right axis). */
export function StepChart({ sod, opd, delta, size }: Props) {
  const data = sod.steps.map((_, k) => ({
    step: `step ${k + 1}`,
    divergence: sod.divergences[k],
    sodWeight: sod.weights[k],
    opdWeight: opd.weights[k],
  }));
  const chart = (
    <ComposedChart data={data} margin={{ top: 10, right: 16, bottom: 4, left: 4 }} {...size}>
      <CartesianGrid strokeDasharray="3 3" stroke="var(--grid)" />
      <XAxis dataKey="step" stroke="var(--muted)" />
      <YAxis
        yAxisId="d"
        stroke="var(--divergence)"
        label={{ value: 'd_k (nats/token)', angle: -90, position: 'insideLeft', fill: 'var(--divergence)' }}
      />
      <YAxis
        yAxisId="w"
        orientation="right"
        stroke="var(--sod)"
        domain={[0, Math.max(1.5, 1 + delta + 0.1)]}
        label={{ value: 'weight w_k', angle: 90, position: 'insideRight', fill: 'var(--sod)' }}
      />
      <Tooltip
        formatter={(value) => (typeof value === 'number' ? value.toFixed(4) : String(value))}
        contentStyle={{ background: 'var(--panel)', borderColor: 'var(--border)' }}
      />
      <Legend />
      <ReferenceLine
        yAxisId="w"
        y={1 + delta}
        stroke="var(--sod)"
        strokeDasharray="6 4"
        label={{ value: `cap 1 + δ = ${(1 + delta).toFixed(2)}`, fill: 'var(--muted)', position: 'insideTopRight' }}
      />
      <Bar
        yAxisId="d"
        dataKey="divergence"
        name="d_k: mean |s − τ|"
        fill="var(--divergence)"
        isAnimationActive={false}
      />
      <Line
        yAxisId="w"
        dataKey="sodWeight"
        name="w_k (SOD)"
        stroke="var(--sod)"
        strokeWidth={3}
        dot={{ r: 5 }}
        isAnimationActive={false}
      />
      <Line
        yAxisId="w"
        dataKey="opdWeight"
        name="w_k (OPD, always 1)"
        stroke="var(--opd)"
        strokeDasharray="4 4"
        dot={false}
        isAnimationActive={false}
      />
    </ComposedChart>
  );
  return (
    <section className="panel" aria-label="Divergence and weight per step">
      <h2>
        {sod.steps.length} step{sod.steps.length === 1 ? '' : 's'}: divergence and weight
      </h2>
      <Explain topic="drift" />
      {sod.steps.length === 0 ? (
        <p className="muted">This trajectory has no generated tokens (its mask is all 0), so it has no steps.</p>
      ) : size ? (
        chart
      ) : (
        <ResponsiveContainer width="100%" height={280}>
          {chart}
        </ResponsiveContainer>
      )}
    </section>
  );
}
