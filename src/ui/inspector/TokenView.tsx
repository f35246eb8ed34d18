import type { ReactNode } from 'react';
import type { TrajectoryRecord } from '../../sod/record';
import type { StepWeighting, TokenScores } from '../../sod/weights';

/** Text for each token: the record's `tokens` when it has them, else `#id` from `response_ids`, else the position. */
export function tokenLabels(record: TrajectoryRecord): (t: number) => string {
  const tokens = record.tokens;
  if (Array.isArray(tokens)) return (t) => (typeof tokens[t] === 'string' ? tokens[t] : `#${t}`);
  const ids = record.response_ids;
  if (Array.isArray(ids)) return (t) => `#${String(ids[t])} `;
  return (t) => `·${t} `;
}

/** |s − τ| above this many nats gets the strongest colour. */
const colourCap = 3;

function divergenceColour(gap: number): string {
  const x = Math.min(gap / colourCap, 1);
  // From pale yellow (close to the teacher) to deep red (far from it).
  return `hsl(${Math.round(50 - 45 * x)} 90% ${Math.round(88 - 40 * x)}%)`;
}

interface Props {
  weighting: StepWeighting;
  scores: TokenScores;
  labels: (t: number) => string;
}

/** The trajectory token by token: coloured by |s − τ|, tool output shaded, each step outlined with its weight. */
export function TokenView({ weighting, scores, labels }: Props) {
  const { mask, studentLogprobs, teacherLogprobs } = scores;
  const stepOf = new Map(weighting.steps.map(([start], k) => [start, k]));
  const pieces: ReactNode[] = [];
  let t = 0;
  while (t < mask.length) {
    const k = stepOf.get(t);
    if (k !== undefined) {
      const [start, end] = weighting.steps[k];
      const tokens = [];
      for (let u = start; u < end; u++) {
        const gap = Math.abs(studentLogprobs[u] - teacherLogprobs[u]);
        tokens.push(
          <span
            key={u}
            className="token"
            style={{ background: divergenceColour(gap) }}
            title={`token ${u}\ns = ${studentLogprobs[u].toFixed(4)}\nτ = ${teacherLogprobs[u].toFixed(4)}\n|s − τ| = ${gap.toFixed(4)}\nstep ${k + 1}, w = ${weighting.weights[k].toFixed(4)}`}
          >
            {labels(u)}
          </span>,
        );
      }
      pieces.push(
        <span key={`step-${k}`} className="step" data-step={k + 1}>
          <span className="step-badge">
            step {k + 1} · w = {weighting.weights[k].toFixed(3)}
          </span>
          {tokens}
        </span>,
      );
      t = end;
    } else {
      const start = t;
      while (t < mask.length && mask[t] === 0) t++;
      const text = [];
      for (let u = start; u < t; u++) text.push(labels(u));
      pieces.push(
        <span key={`env-${start}`} className="inserted" title={`tokens ${start}–${t - 1}: inserted by the environment (mask 0), not supervised`}>
          {text.join('')}
        </span>,
      );
    }
  }
  return (
    <section className="panel" aria-label="Tokens">
      <h2>Tokens</h2>
      <div className="legend" aria-label="Colour legend">
        <span>|s − τ|:</span>
        <span className="legend-bar" style={{ background: `linear-gradient(90deg, ${divergenceColour(0)}, ${divergenceColour(colourCap / 2)}, ${divergenceColour(colourCap)})` }} />
        <span>0 → ≥ {colourCap} nats</span>
        <span className="inserted legend-swatch">tool output (mask 0)</span>
      </div>
      <div className="tokens">{pieces}</div>
    </section>
  );
}
