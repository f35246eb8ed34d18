import type { TrainingRun } from '../../store/training/types';
import { formatAdaptive, formatNumber, formatPercent } from './format';
import './training.css';

const NONE = '—';

/** The numbers behind the charts for one run, one row per finished update. */
export function UpdateTable({ run }: { run: TrainingRun }) {
  return (
    <div className="training-table-wrap">
      <table className="numbers training-table">
        <caption>
          {run.label}: {run.metrics.length} update{run.metrics.length === 1 ? '' : 's'} ({run.settings.method})
        </caption>
        <thead>
          <tr>
            <th scope="col">update</th>
            <th scope="col">loss</th>
            <th scope="col">reward</th>
            <th scope="col">accuracy (%)</th>
            <th scope="col">mean d_k (nats/token)</th>
            <th scope="col">mean w_k</th>
            <th scope="col">KL (nats)</th>
            <th scope="col">clip (%)</th>
            <th scope="col">tokens/s</th>
            <th scope="col">time (s)</th>
          </tr>
        </thead>
        <tbody>
          {run.metrics.length === 0 && (
            <tr>
              <td colSpan={10} className="muted">
                No updates yet.
              </td>
            </tr>
          )}
          {run.metrics.map((m) => (
            <tr key={m.update}>
              <th scope="row">{m.update}</th>
              <td>
                {Number.isFinite(m.loss) ? formatAdaptive(m.loss, 4) : NONE}
                {m.skipped !== undefined && m.skipped.length > 0 && (
                  <span className="warning" title={m.skipped.join('\n')}>
                    {' '}
                    ({m.skipped.length} of {m.optimizerSteps} steps skipped)
                  </span>
                )}
              </td>
              <td>{formatNumber(m.meanReward, 3)}</td>
              <td>{formatPercent(m.accuracy)}</td>
              <td>{m.steps ? formatAdaptive(m.steps.meanDivergence, 3) : NONE}</td>
              <td>{m.steps ? formatNumber(m.steps.meanWeight, 3) : NONE}</td>
              <td>{formatAdaptive(m.approxKl, 4)}</td>
              <td>{formatPercent(m.clipFraction)}</td>
              <td>{formatNumber(m.tokensPerSecond, m.tokensPerSecond >= 100 ? 0 : 1)}</td>
              <td
                title={`rollout ${formatNumber(m.seconds.rollout, 2)} s, score ${formatNumber(m.seconds.score, 2)} s, train ${formatNumber(m.seconds.train, 2)} s`}
              >
                {formatNumber(m.seconds.total, 1)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
