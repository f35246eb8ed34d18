import { useEffect, useState } from 'react';
import { metricsCsv, metricsJsonl, trajectoriesJsonl, verlScaleUpText } from '../../agent/export';
import { errorMessage } from '../../store/errors';
import { modelsReady } from '../../store/models/types';
import { useAppStore } from '../../store/store';
import type { TrainingRun } from '../../store/training/types';
import type { PlaygroundTrajectory } from '../../workers/protocols';
import { download } from '../download';
import { Explain } from '../explain/Explain';
import { RolloutCard } from '../rollouts/RolloutCard';
import { EvaluationCard } from './EvaluationCard';
import { TrainingCharts } from './TrainingCharts';
import { TrainingForm } from './TrainingForm';
import { UpdateTable } from './UpdateTable';
import './training.css';

/** A stable empty list: a selector returning a fresh [] would re-render forever. */
const noTrajectories: readonly PlaygroundTrajectory[] = [];

function fileStem(run: TrainingRun): string {
  return run.label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/** Start, pause, resume and stop; what the run is doing now. */
function RunControls() {
  const ready = useAppStore((s) => modelsReady(s));
  const active = useAppStore((s) => s.runs.find((r) => r.status === 'running' || r.status === 'paused'));
  const activity = useAppStore((s) => s.trainingActivity);
  const error = useAppStore((s) => s.trainingError);
  const live = useAppStore((s) => s.live);
  const { startRun, pauseRun, resumeRun, stopRun } = useAppStore.getState();
  // The student's text as it is written, so a class can watch the update's rollouts.
  const writing = live.find((t) => t.status === 'running');
  return (
    <section className="panel run-controls" aria-label="Run controls">
      <div className="row">
        <button type="button" onClick={() => void startRun()} disabled={!ready || active !== undefined}>
          Start run
        </button>
        {active?.status === 'running' && (
          <button type="button" className="ghost" onClick={pauseRun}>
            Pause
          </button>
        )}
        {active?.status === 'paused' && (
          <button type="button" onClick={resumeRun}>
            Resume
          </button>
        )}
        {active !== undefined && (
          <button type="button" className="ghost danger" onClick={stopRun}>
            Stop
          </button>
        )}
      </div>
      {!ready && <p className="hint">Load a student and a teacher first (Models).</p>}
      <p role="status" className="activity">
        {active ? `${active.label}: ${activity ?? 'starting…'}` : ''}
      </p>
      {active && live.length > 0 && (
        <ol className="batch-progress" aria-label="Trajectories of this update">
          {live.map((t) => (
            <li key={t.index} data-status={t.status}>
              {t.status === 'done' ? (t.result?.correct ? '✓' : '✗') : t.status === 'running' ? `… ${t.tokens}` : '·'}
            </li>
          ))}
        </ol>
      )}
      {active && writing && (
        <div className="training-live" aria-label="The trajectory being written">
          <RolloutCard
            trajectory={writing}
            problem={Math.floor(writing.index / active.settings.groupSize) + 1}
            sample={(writing.index % active.settings.groupSize) + 1}
          />
        </div>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}

/** One run's table, evaluation and exports. */
function RunDetails({ run }: { run: TrainingRun }) {
  const trajectories = useAppStore((s) => s.runTrajectories[run.id] ?? noTrajectories);
  const isLatest = useAppStore((s) => s.runs[s.runs.length - 1]?.id === run.id);
  const { inspect, adapterZip, removeRun, resumeFromCheckpoint, runArchive } = useAppStore.getState();
  const ready = useAppStore((s) => modelsReady(s));
  const anyActive = useAppStore((s) => s.runs.some((r) => r.status === 'running' || r.status === 'paused'));
  const [exportError, setExportError] = useState<string>();
  const stem = fileStem(run);
  const save = (name: string, make: () => string, type: string) => {
    try {
      download(name, make(), type);
      setExportError(undefined);
    } catch (err) {
      setExportError(errorMessage(err));
    }
  };
  const busy = run.status === 'running' || run.status === 'paused';
  return (
    <section className="panel run-details" aria-label={`Run ${run.label}`}>
      <h3>
        {run.label} · {run.status}
        {run.error ? ` — ${run.error}` : ''}
      </h3>
      {run.checkpoint !== undefined && (run.status === 'stopped' || run.status === 'failed') && (
        <div className="row">
          <button
            type="button"
            disabled={!ready || anyActive}
            title={`Goes on with update ${run.checkpoint + 1} from the checkpoint saved after update ${run.checkpoint}: the same adapter, optimizer state, prompt order and random streams (load the same models on the same backend first)`}
            onClick={() => void resumeFromCheckpoint(run.id)}
          >
            Resume run from update {run.checkpoint}
          </button>
        </div>
      )}
      {run.checkpointError && (
        <p className="error" role="alert">
          {run.checkpointError}
        </p>
      )}
      <EvaluationCard run={run} />
      <UpdateTable run={run} />
      <div className="row export-buttons" aria-label={`Exports of ${run.label}`}>
        <button
          type="button"
          className="ghost"
          disabled={trajectories.length === 0}
          onClick={() => save(`${stem}-trajectories.jsonl`, () => trajectoriesJsonl(trajectories), 'application/jsonl')}
        >
          Trajectories (JSONL)
        </button>
        <button
          type="button"
          className="ghost"
          disabled={run.metrics.length === 0}
          onClick={() => save(`${stem}-metrics.csv`, () => metricsCsv(run.metrics), 'text/csv')}
        >
          Metrics (CSV)
        </button>
        <button
          type="button"
          className="ghost"
          disabled={run.metrics.length === 0}
          onClick={() => save(`${stem}-metrics.jsonl`, () => metricsJsonl(run.metrics), 'application/jsonl')}
        >
          Metrics (JSONL)
        </button>
        <button
          type="button"
          className="ghost"
          disabled={!isLatest || busy}
          title={
            isLatest
              ? 'The student’s adapter after this run, as a PEFT folder'
              : 'Only the latest run’s adapter is held'
          }
          onClick={() =>
            void adapterZip().then(
              (zip) => download(`${stem}-adapter.zip`, zip, 'application/zip'),
              (err: unknown) => setExportError(errorMessage(err)),
            )
          }
        >
          LoRA adapter (PEFT zip)
        </button>
        <button
          type="button"
          className="ghost"
          disabled={trajectories.length === 0}
          onClick={() => inspect(trajectories, trajectories.length - 1, `${run.label} trajectories`)}
        >
          Inspect trajectories
        </button>
        <button
          type="button"
          className="ghost"
          disabled={busy}
          title="Settings, metrics, trajectories, the adapter and the checkpoint in one file, to import here or in another browser"
          onClick={() =>
            void runArchive(run.id).then(
              (zip) => download(`${stem}-run.zip`, zip, 'application/zip'),
              (err: unknown) => setExportError(errorMessage(err)),
            )
          }
        >
          Whole run (zip)
        </button>
        <button type="button" className="ghost" disabled={busy} onClick={() => removeRun(run.id)}>
          Remove run
        </button>
      </div>
      {exportError && (
        <p className="error" role="alert">
          {exportError}
        </p>
      )}
      <details className="scale-up">
        <summary>Run it at scale (reference verl script)</summary>
        <pre>{verlScaleUpText(run.settings)}</pre>
        <button
          type="button"
          className="ghost"
          onClick={() => void navigator.clipboard?.writeText(verlScaleUpText(run.settings))}
        >
          Copy
        </button>
      </details>
    </section>
  );
}

/** The Training step: settings, controls, live charts of every run, and each run's details. */
export function TrainingView() {
  const runs = useAppStore((s) => s.runs);
  const locked = runs.some((r) => r.status === 'running' || r.status === 'paused');
  const [shown, setShown] = useState<string>();
  const selected = runs.find((r) => r.id === shown) ?? runs[runs.length - 1];
  // Which runs a reload (or a crashed worker) left with a checkpoint to resume from.
  useEffect(() => {
    void useAppStore.getState().refreshCheckpoints();
  }, []);
  return (
    <div className="training-view">
      <aside className="training-side">
        <Explain topic="training" />
        <TrainingForm locked={locked} />
      </aside>
      <div className="training-main">
        <RunControls />
        <section className="panel" aria-label="Training charts">
          <h2>Runs</h2>
          <TrainingCharts runs={runs} />
        </section>
        {runs.length > 1 && (
          <div className="row" role="group" aria-label="Show run">
            {runs.map((r) => (
              <button
                key={r.id}
                type="button"
                className={r.id === selected?.id ? '' : 'ghost'}
                aria-pressed={r.id === selected?.id}
                onClick={() => setShown(r.id)}
              >
                {r.label}
              </button>
            ))}
          </div>
        )}
        {selected && <RunDetails run={selected} />}
        <div className="row">
          <label className="button-like ghost">
            Import a run (zip)…
            <input
              type="file"
              accept=".zip,application/zip"
              className="visually-hidden"
              aria-label="Import a run exported as a zip"
              onChange={(e) => {
                const file = e.target.files?.[0];
                e.target.value = '';
                if (file !== undefined)
                  void file
                    .arrayBuffer()
                    .then((bytes) => useAppStore.getState().importRun(new Uint8Array(bytes), file.name));
              }}
            />
          </label>
        </div>
        <Explain topic="export" />
      </div>
    </div>
  );
}
