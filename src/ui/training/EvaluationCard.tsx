import type { EvaluationSummary } from '../../agent/evaluate';
import type { TrainingRun } from '../../store/training/types';
import { formatNumber, formatPercent, formatSigned } from './format';
import './training.css';

type Cell = { kind: 'value'; summary: EvaluationSummary } | { kind: 'running' } | { kind: 'missing' };

/** What to show in a before/after column: the numbers, "running…" while the run may still produce them, or "not evaluated". */
function cell(summary: EvaluationSummary | undefined, running: boolean): Cell {
  if (summary !== undefined) return { kind: 'value', summary };
  return running ? { kind: 'running' } : { kind: 'missing' };
}

function Value({ c, show }: { c: Cell; show: (s: EvaluationSummary) => string }) {
  if (c.kind === 'value') return <td>{show(c.summary)}</td>;
  return <td className="muted">{c.kind === 'running' ? 'running…' : 'not evaluated'}</td>;
}

/** Change after − before, when both exist. */
function Change({
  before,
  after,
  show,
}: {
  before: Cell;
  after: Cell;
  show: (b: EvaluationSummary, a: EvaluationSummary) => string;
}) {
  return <td>{before.kind === 'value' && after.kind === 'value' ? show(before.summary, after.summary) : '—'}</td>;
}

/** Held-out accuracy (greedy) before the first and after the last update, with the change. */
export function EvaluationCard({ run }: { run: TrainingRun }) {
  const { before, after } = run.evaluation;
  const running = run.status === 'running';
  const title = `${run.label}: held-out evaluation`;
  if (before === undefined && after === undefined && !running) {
    return (
      <section className="panel training-eval" aria-label={title}>
        <h3>{title}</h3>
        <p className="muted">
          {run.settings.evalProblems === 0 ? 'Not evaluated (0 held-out problems in the settings).' : 'Not evaluated.'}
        </p>
      </section>
    );
  }
  const b = cell(before, running);
  const a = cell(after, running);
  return (
    <section className="panel training-eval" aria-label={title}>
      <h3>{title}</h3>
      <table className="numbers">
        <caption className="visually-hidden">{title}, greedy decoding</caption>
        <thead>
          <tr>
            <th scope="col" />
            <th scope="col">before</th>
            <th scope="col">after</th>
            <th scope="col">change</th>
          </tr>
        </thead>
        <tbody>
          <tr data-row="accuracy">
            <th scope="row">accuracy</th>
            <Value c={b} show={(s) => `${s.correct} / ${s.n} (${formatPercent(s.accuracy)}%)`} />
            <Value c={a} show={(s) => `${s.correct} / ${s.n} (${formatPercent(s.accuracy)}%)`} />
            <Change before={b} after={a} show={(x, y) => `${formatSigned((y.accuracy - x.accuracy) * 100, 1)} pp`} />
          </tr>
          <tr data-row="reward">
            <th scope="row">mean reward</th>
            <Value c={b} show={(s) => formatNumber(s.mean_reward, 3)} />
            <Value c={a} show={(s) => formatNumber(s.mean_reward, 3)} />
            <Change before={b} after={a} show={(x, y) => formatSigned(y.mean_reward - x.mean_reward, 3)} />
          </tr>
          <tr data-row="tools">
            <th scope="row">mean tool calls</th>
            <Value c={b} show={(s) => formatNumber(s.mean_tool_calls, 2)} />
            <Value c={a} show={(s) => formatNumber(s.mean_tool_calls, 2)} />
            <Change before={b} after={a} show={(x, y) => formatSigned(y.mean_tool_calls - x.mean_tool_calls, 2)} />
          </tr>
        </tbody>
      </table>
    </section>
  );
}
