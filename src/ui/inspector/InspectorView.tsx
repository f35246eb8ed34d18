import { useMemo } from 'react';
import { useAppStore } from '../../store/store';
import { inspectorSelectors, parseSettings } from '../../store/inspector/selectors';
import { tokenScoresFromRecord } from '../../sod/record';
import { weighSteps, type StepWeighting, type TokenScores } from '../../sod/weights';
import { LoadPanel } from './LoadPanel';
import { SettingsPanel } from './SettingsPanel';
import { StepChart } from './StepChart';
import { StepTable } from './StepTable';
import { TokenView, tokenLabels } from './TokenView';

type Computed = { ok: true; scores: TokenScores; sod: StepWeighting; opd: StepWeighting } | { ok: false; message: string };

/** Load trajectories, pick one, and see its steps, d_k and w_k under the chosen ε, δ and c. */
export function InspectorView() {
  const trajectory = useAppStore(inspectorSelectors.selectedTrajectory);
  const settingsText = useAppStore(inspectorSelectors.settingsText);
  const settings = useMemo(() => parseSettings(settingsText), [settingsText]);

  const computed = useMemo((): Computed | undefined => {
    if (trajectory === undefined || !settings.ok) return undefined;
    try {
      const scores = tokenScoresFromRecord(trajectory.record);
      return { ok: true, scores, sod: weighSteps(scores, settings.value, 'sod'), opd: weighSteps(scores, settings.value, 'opd') };
    } catch (err) {
      return { ok: false, message: `Line ${trajectory.lineNumber}: ${err instanceof Error ? err.message : String(err)}` };
    }
  }, [trajectory, settings]);

  return (
    <div className="inspector">
      <LoadPanel />
      <section className="inspector-main" aria-label="Step weighting">
        <SettingsPanel />
        {trajectory === undefined && (
          <div className="empty">Load the sample, open a trajectory JSONL file or paste lines to see their steps and weights.</div>
        )}
        {computed !== undefined && !computed.ok && (
          <div className="error" role="alert">
            {computed.message}
          </div>
        )}
        {computed?.ok && trajectory !== undefined && settings.ok && (
          <>
            <StepChart sod={computed.sod} opd={computed.opd} delta={settings.value.delta} />
            <TokenView weighting={computed.sod} scores={computed.scores} labels={tokenLabels(trajectory.record)} />
            <StepTable sod={computed.sod} opd={computed.opd} />
          </>
        )}
      </section>
    </div>
  );
}
