import { useMemo, useState } from 'react';
import { useAppStore } from '../../store/store';
import { inspectorSelectors, parseSettings } from '../../store/inspector/selectors';
import { modelsReady } from '../../store/models/types';
import { tokenScoresFromRecord, type TrajectoryRecord } from '../../sod/record';
import { weighSteps, type StepWeighting, type TokenScores } from '../../sod/weights';
import { AdvantageChart } from './AdvantageChart';
import { LoadPanel } from './LoadPanel';
import { SettingsPanel } from './SettingsPanel';
import { StepChart } from './StepChart';
import { StepTable } from './StepTable';
import { TokenView, tokenLabels } from './TokenView';

/** Offers the loaded models' top alternatives for a trajectory that has token ids but none yet. */
function AlternativesBar({ record }: { record: TrajectoryRecord }) {
  const ready = useAppStore(modelsReady);
  const { status, error } = useAppStore((s) => s.alternatives);
  const loadAlternatives = useAppStore((s) => s.loadAlternatives);
  if (record.student_top !== undefined || !Array.isArray(record.response_ids)) return null;
  return (
    <div className="panel alternatives-bar">
      <button
        type="button"
        className="ghost"
        disabled={!ready || status === 'loading'}
        onClick={() => void loadAlternatives()}
      >
        {status === 'loading' ? 'Computing alternatives…' : 'Show both models’ top alternatives'}
      </button>
      <span className="hint">
        {ready
          ? ' Each model’s 5 likeliest tokens at every position, in the token card.'
          : ' Load the student and teacher (Models) to list their alternatives.'}
      </span>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

type Computed =
  | { ok: true; scores: TokenScores; sod: StepWeighting; opd: StepWeighting }
  | { ok: false; message: string };

/** Load trajectories, pick one, and see its steps, d_k and w_k under the chosen ε, δ and c. */
export function InspectorView() {
  const trajectory = useAppStore(inspectorSelectors.selectedTrajectory);
  const settingsText = useAppStore(inspectorSelectors.settingsText);
  const settings = useMemo(() => parseSettings(settingsText), [settingsText]);
  const labels = useMemo(() => (trajectory === undefined ? undefined : tokenLabels(trajectory.record)), [trajectory]);
  /** The token the token card describes, marked on the advantage chart. */
  const [activeToken, setActiveToken] = useState<number | null>(null);

  const computed = useMemo((): Computed | undefined => {
    if (trajectory === undefined || !settings.ok) return undefined;
    try {
      const scores = tokenScoresFromRecord(trajectory.record);
      return {
        ok: true,
        scores,
        sod: weighSteps(scores, settings.value, 'sod'),
        opd: weighSteps(scores, settings.value, 'opd'),
      };
    } catch (err) {
      return {
        ok: false,
        message: `Line ${trajectory.lineNumber}: ${err instanceof Error ? err.message : String(err)}`,
      };
    }
  }, [trajectory, settings]);

  return (
    <div className="inspector">
      <LoadPanel />
      <section className="inspector-main" aria-label="Step weighting">
        <SettingsPanel />
        {trajectory === undefined && (
          <div className="empty">
            Load the sample, open a trajectory JSONL file or paste lines to see their steps and weights.
          </div>
        )}
        {computed !== undefined && !computed.ok && (
          <div className="error" role="alert">
            {computed.message}
          </div>
        )}
        {computed?.ok && trajectory !== undefined && labels !== undefined && settings.ok && (
          <>
            <AlternativesBar record={trajectory.record} />
            <StepChart sod={computed.sod} opd={computed.opd} delta={settings.value.delta} />
            <TokenView
              sod={computed.sod}
              opd={computed.opd}
              scores={computed.scores}
              record={trajectory.record}
              labels={labels}
              onActiveChange={setActiveToken}
            />
            <AdvantageChart sod={computed.sod} opd={computed.opd} labels={labels} highlight={activeToken} />
            <StepTable sod={computed.sod} opd={computed.opd} />
          </>
        )}
      </section>
    </div>
  );
}
