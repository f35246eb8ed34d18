import { useCallback, useId, useMemo, useState } from 'react';
import { taskSets, type TaskSetFile } from '../../models/presets';
import { modelsReady } from '../../store/models/types';
import type { LiveTrajectory } from '../../store/rollouts/live';
import type { RolloutSettings } from '../../store/rollouts/types';
import { useAppStore } from '../../store/store';
import type { PlaygroundTrajectory } from '../../workers/protocols';
import { NumberField } from '../common/NumberField';
import { validateNumber, type NumberRule } from '../common/validate';
import { Explain } from '../explain/Explain';
import { formatNumber } from '../training/format';
import { RolloutCard } from './RolloutCard';
import './rollouts.css';

type NumericSetting = Exclude<keyof RolloutSettings, 'taskSet'>;

interface FieldSpec extends NumberRule {
  key: NumericSetting;
  label: string;
  step: number;
  hint?: string;
  /** What the field shows minus what the store holds (1 for the 1-based "First problem"). */
  offset?: number;
}

/** The size a task set's label states, e.g. "… held-out set (200)". */
function taskSetSize(file: TaskSetFile): number | undefined {
  const match = /\((\d+)\)\s*$/.exec(taskSets.find((t) => t.file === file)?.label ?? '');
  return match === null ? undefined : Number(match[1]);
}

function fieldSpecs(taskSet: TaskSetFile): FieldSpec[] {
  const size = taskSetSize(taskSet);
  return [
    {
      key: 'first',
      label: 'First problem',
      min: 1,
      max: size,
      integer: true,
      step: 1,
      offset: 1,
      hint: size === undefined ? undefined : `1 to ${size}`,
    },
    { key: 'problems', label: 'Problems', min: 1, max: 32, integer: true, step: 1 },
    { key: 'groupSize', label: 'Group size', min: 1, max: 16, integer: true, step: 1, hint: 'samples per problem' },
    { key: 'temperature', label: 'Temperature', min: 0, max: 2, step: 0.05, hint: '0 = always the likeliest token' },
    { key: 'topP', label: 'Top-p', min: 0.05, max: 1, step: 0.05, hint: '1 = no nucleus cut' },
    { key: 'maxTurns', label: 'Max turns', min: 1, max: 16, integer: true, step: 1 },
    { key: 'maxTokens', label: 'Max tokens per turn', min: 16, max: 2048, integer: true, step: 16 },
    { key: 'seed', label: 'Seed', min: 0, max: 2 ** 31 - 1, integer: true, step: 1 },
  ];
}

/** "3 of 4 finished · 2 right · mean reward 0.45". */
export function rolloutSummary(live: readonly LiveTrajectory[]): string {
  const done = live.flatMap((t) => (t.result === undefined ? [] : [t.result]));
  const parts = [`${done.length} of ${live.length} finished`];
  if (done.length > 0) {
    parts.push(`${done.filter((r) => r.correct).length} right`);
    parts.push(`mean reward ${formatNumber(done.reduce((a, r) => a + r.reward, 0) / done.length, 2)}`);
  }
  return parts.join(' · ');
}

/** Problem and sample numbers (1-based) of each slot: slots of one problem come one after another. */
function slotNumbers(live: readonly LiveTrajectory[]): { problem: number; sample: number }[] {
  let problem = 0;
  let sample = 0;
  return live.map((t, i) => {
    if (i === 0 || live[i - 1].task.id !== t.task.id) {
      problem++;
      sample = 0;
    }
    sample++;
    return { problem, sample };
  });
}

/** The Rollouts step: settings, then the student's attempts streamed live, each openable in the inspector. */
export function RolloutsView() {
  const settings = useAppStore((s) => s.rolloutSettings);
  const status = useAppStore((s) => s.rolloutStatus);
  const live = useAppStore((s) => s.live);
  const error = useAppStore((s) => s.rolloutError);
  const ready = useAppStore(modelsReady);
  const setRolloutSettings = useAppStore((s) => s.setRolloutSettings);
  const runRollouts = useAppStore((s) => s.runRollouts);
  const stopRollouts = useAppStore((s) => s.stopRollouts);
  const setView = useAppStore((s) => s.setView);
  const ids = { heading: useId(), taskSet: useId(), runHint: useId() };

  // What the user typed per field, kept while it is invalid (the store keeps the last valid value).
  const [drafts, setDrafts] = useState<Partial<Record<NumericSetting, string>>>({});
  const specs = useMemo(() => fieldSpecs(settings.taskSet), [settings.taskSet]);
  const fields = specs.map((spec) => {
    const offset = spec.offset ?? 0;
    const stored = String(settings[spec.key] + offset);
    const draft = drafts[spec.key];
    const parsed = draft === undefined ? undefined : validateNumber(draft, spec);
    // A valid draft that no longer matches the store was replaced from outside: show the store's value.
    const text =
      draft !== undefined && parsed !== undefined && (!parsed.ok || parsed.value - offset === settings[spec.key])
        ? draft
        : stored;
    const checked = validateNumber(text, spec);
    return { spec, text, error: checked.ok ? undefined : checked.message };
  });
  const invalid = fields.some((f) => f.error !== undefined);

  const onText = (spec: FieldSpec, text: string) => {
    setDrafts((d) => ({ ...d, [spec.key]: text }));
    const parsed = validateNumber(text, spec);
    if (!parsed.ok) return;
    const patch: Partial<RolloutSettings> = {};
    patch[spec.key] = parsed.value - (spec.offset ?? 0);
    setRolloutSettings(patch);
  };

  // Stable, so cards that did not change skip re-rendering while tokens stream in.
  const inspectTrajectory = useCallback((index: number) => {
    const state = useAppStore.getState();
    const finished = state.live.filter(
      (t): t is LiveTrajectory & { result: PlaygroundTrajectory } => t.result !== undefined,
    );
    const at = finished.findIndex((t) => t.index === index);
    if (at >= 0)
      state.inspect(
        finished.map((t) => t.result),
        at,
        'rollouts',
      );
  }, []);

  const running = status !== 'idle';
  const runHint = running
    ? undefined
    : !ready
      ? 'Load a student and a teacher first (Models step).'
      : invalid
        ? 'Fix the marked fields first.'
        : undefined;
  const numbers = useMemo(() => slotNumbers(live), [live]);
  const summary = useMemo(() => rolloutSummary(live), [live]);

  return (
    <section className="rollouts-view" aria-labelledby={ids.heading}>
      <h2 id={ids.heading}>Rollouts</h2>
      <Explain topic="rollouts" />

      <form
        className="panel rollouts-form"
        aria-label="Rollout settings"
        onSubmit={(e) => {
          e.preventDefault();
          if (runHint === undefined && !running) void runRollouts();
        }}
      >
        <fieldset className="rollouts-fields" disabled={running}>
          <legend className="visually-hidden">Rollout settings</legend>
          <div className="rollouts-taskset">
            <label className="field-label" htmlFor={ids.taskSet}>
              Task set
            </label>
            <select
              id={ids.taskSet}
              value={settings.taskSet}
              onChange={(e) =>
                setRolloutSettings({
                  taskSet: taskSets.find((t) => t.file === e.target.value)?.file ?? settings.taskSet,
                })
              }
            >
              {taskSets.map((t) => (
                <option key={t.file} value={t.file}>
                  {t.label}
                </option>
              ))}
            </select>
          </div>
          {fields.map(({ spec, text, error: fieldError }) => (
            <NumberField
              key={spec.key}
              label={spec.label}
              text={text}
              error={fieldError}
              hint={spec.hint}
              min={spec.min}
              max={spec.max}
              step={spec.step}
              onTextChange={(t) => onText(spec, t)}
            />
          ))}
        </fieldset>
        <div className="row rollouts-actions">
          <button
            type="submit"
            disabled={running || runHint !== undefined}
            aria-describedby={runHint === undefined ? undefined : ids.runHint}
          >
            Run rollouts
          </button>
          {running && (
            <button type="button" className="ghost" onClick={stopRollouts} disabled={status === 'stopping'}>
              {status === 'stopping' ? 'Stopping…' : 'Stop'}
            </button>
          )}
          {runHint !== undefined && (
            <span id={ids.runHint} className="hint rollouts-run-hint">
              {runHint}
            </span>
          )}
          {!ready && (
            <button type="button" className="ghost" onClick={() => setView('models')}>
              Go to Models
            </button>
          )}
        </div>
      </form>

      {error !== undefined && (
        <p className="error" role="alert">
          {error}
        </p>
      )}

      {live.length === 0 ? (
        <p className="empty">No rollouts yet. Choose the settings above and press “Run rollouts”.</p>
      ) : (
        <>
          <p className="rollouts-summary" role="status">
            {summary}
          </p>
          <ol className="rollouts-list">
            {live.map((t, i) => (
              <li key={t.index}>
                <RolloutCard
                  trajectory={t}
                  problem={numbers[i].problem}
                  sample={numbers[i].sample}
                  onInspect={inspectTrajectory}
                />
              </li>
            ))}
          </ol>
        </>
      )}
    </section>
  );
}
