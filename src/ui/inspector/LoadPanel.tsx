import { useState, type ChangeEvent } from 'react';
import { useAppStore } from '../../store/store';

const sampleUrl = `${import.meta.env.BASE_URL}samples/drift-recovery.jsonl`;

function describeTrajectory(record: Record<string, unknown>, fallback: string): string {
  const id = record.task_id;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : fallback;
}

/** Where trajectories come from: the bundled sample, a file, or pasted text; and which one is shown. */
export function LoadPanel() {
  const trajectories = useAppStore((s) => s.trajectories);
  const lineErrors = useAppStore((s) => s.lineErrors);
  const selected = useAppStore((s) => s.selected);
  const sourceName = useAppStore((s) => s.sourceName);
  const loadText = useAppStore((s) => s.loadText);
  const select = useAppStore((s) => s.select);
  const [pasted, setPasted] = useState('');
  const [loadError, setLoadError] = useState<string | null>(null);

  async function loadSample() {
    setLoadError(null);
    try {
      const response = await fetch(sampleUrl);
      if (!response.ok) throw new Error(`HTTP ${response.status} for ${sampleUrl}`);
      loadText(await response.text(), 'sample: drift and recovery');
    } catch (err) {
      setLoadError(`Could not load the sample: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  async function openFile(event: ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0];
    if (file === undefined) return;
    setLoadError(null);
    try {
      loadText(await file.text(), file.name);
    } catch (err) {
      setLoadError(`Could not read ${file.name}: ${err instanceof Error ? err.message : String(err)}`);
    }
    event.target.value = '';
  }

  return (
    <aside className="panel load-panel" aria-label="Trajectories">
      <h2>Trajectories</h2>
      <div className="row">
        <button type="button" onClick={() => void loadSample()}>
          Load sample
        </button>
        <label className="button-like">
          Open JSONL…
          <input
            type="file"
            accept=".jsonl,.json,.txt,application/jsonl"
            onChange={(e) => void openFile(e)}
            className="visually-hidden"
            aria-label="Open a trajectory JSONL file"
          />
        </label>
      </div>
      <label htmlFor="paste-box" className="field-label">
        Or paste JSONL (one trajectory per line with <code>mask</code>, <code>student_logprobs</code>,{' '}
        <code>teacher_logprobs</code>)
      </label>
      <textarea
        id="paste-box"
        rows={5}
        value={pasted}
        onChange={(e) => setPasted(e.target.value)}
        spellCheck={false}
        placeholder='{"mask": [1, 1, 0, 1], "student_logprobs": [...], "teacher_logprobs": [...]}'
      />
      <button type="button" onClick={() => loadText(pasted, 'pasted text')} disabled={pasted.trim() === ''}>
        Inspect pasted lines
      </button>
      {loadError !== null && (
        <p className="error" role="alert">
          {loadError}
        </p>
      )}
      {sourceName !== null && (
        <p className="muted">
          {trajectories.length} trajector{trajectories.length === 1 ? 'y' : 'ies'} from {sourceName}
        </p>
      )}
      {lineErrors.length > 0 && (
        <ul className="line-errors" aria-label="Lines that could not be read">
          {lineErrors.map((e) => (
            <li key={e.lineNumber}>
              Line {e.lineNumber}: {e.message}
            </li>
          ))}
        </ul>
      )}
      <ul className="trajectory-list" aria-label="Loaded trajectories">
        {trajectories.map((t, i) => (
          <li key={t.lineNumber}>
            <button
              type="button"
              className={i === selected ? 'selected' : ''}
              aria-pressed={i === selected}
              onClick={() => select(i)}
            >
              <span>{describeTrajectory(t.record, `line ${t.lineNumber}`)}</span>
              {typeof t.record.reward === 'number' && <span className="muted">r = {t.record.reward}</span>}
            </button>
          </li>
        ))}
      </ul>
    </aside>
  );
}
