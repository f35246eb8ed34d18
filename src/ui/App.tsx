import { useEffect, useState, type KeyboardEvent } from 'react';
import { formatBytes } from '../core/format-bytes';
import { useAppStore } from '../store/store';
import { views, type View } from '../store/ui/slice';
import { ExplainToggle } from './explain/Explain';
import { InspectorView } from './inspector/InspectorView';
import { ModelsView } from './models/ModelsView';
import { RolloutsView } from './rollouts/RolloutsView';
import { TrainingView } from './training/TrainingView';

type Theme = 'light' | 'dark';

function initialTheme(): Theme {
  const saved = globalThis.localStorage?.getItem('sodp-theme');
  if (saved === 'light' || saved === 'dark') return saved;
  return globalThis.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

const viewLabels: Record<View, string> = {
  models: '1 · Models',
  rollouts: '2 · Rollouts',
  inspect: '3 · Inspector',
  train: '4 · Training',
};

/** Which models are loaded, on what, in a few words. */
function ModelStatus() {
  const student = useAppStore((s) => s.student);
  const teacher = useAppStore((s) => s.teacher);
  const text = (role: string, slot: typeof student) =>
    slot.status === 'ready' && slot.loaded ? (
      <span data-role={role} data-engine-bytes={slot.engineBytes}>
        {`${role}: ${slot.loaded.layers} layers on ${slot.loaded.device}`}
        {slot.engineBytes !== undefined && (
          <span title="what its engine holds on the backend now"> ({formatBytes(slot.engineBytes)})</span>
        )}
      </span>
    ) : (
      `${role}: ${slot.status === 'loading' ? 'loading…' : slot.status === 'failed' ? 'failed' : 'not loaded'}`
    );
  return (
    <p className="header-model-status" aria-live="polite">
      {text('student', student)} · {text('teacher', teacher)}
    </p>
  );
}

/** A message about the app itself, with a button to dismiss it. */
function Notice() {
  const notice = useAppStore((s) => s.notice);
  const setNotice = useAppStore((s) => s.setNotice);
  if (notice === undefined) return null;
  return (
    <div className="error app-notice" role="alert">
      {notice}{' '}
      <button type="button" className="ghost" onClick={() => setNotice(undefined)}>
        Dismiss
      </button>
    </div>
  );
}

/** The four steps as tabs; arrow keys move between them. */
function ViewTabs() {
  const view = useAppStore((s) => s.view);
  const setView = useAppStore((s) => s.setView);
  const onKey = (e: KeyboardEvent) => {
    const i = views.indexOf(view);
    const next =
      e.key === 'ArrowRight'
        ? views[(i + 1) % views.length]
        : e.key === 'ArrowLeft'
          ? views[(i + views.length - 1) % views.length]
          : undefined;
    if (next === undefined) return;
    e.preventDefault();
    setView(next);
    document.getElementById(`tab-${next}`)?.focus();
  };
  return (
    <nav className="view-tabs" role="tablist" aria-label="Playground steps" onKeyDown={onKey}>
      {views.map((v) => (
        <button
          key={v}
          id={`tab-${v}`}
          type="button"
          role="tab"
          aria-selected={view === v}
          aria-controls="view-panel"
          tabIndex={view === v ? 0 : -1}
          className={view === v ? 'tab active' : 'tab'}
          onClick={() => setView(v)}
        >
          {viewLabels[v]}
        </button>
      ))}
    </nav>
  );
}

export function App() {
  const [theme, setTheme] = useState<Theme>(initialTheme);
  const view = useAppStore((s) => s.view);
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    globalThis.localStorage?.setItem('sodp-theme', theme);
  }, [theme]);

  return (
    <div className="app">
      <header className="app-header">
        <div>
          <h1>SOD Playground</h1>
          <p className="tagline">
            Step-wise On-policy Distillation: watch a student solve problems with Python, a teacher score every token,
            and SOD turn the teacher’s voice down after drift and back up on recovery.
          </p>
          <ModelStatus />
        </div>
        <div className="header-controls">
          <ExplainToggle />
          <button
            type="button"
            className="ghost"
            onClick={() => setTheme(theme === 'dark' ? 'light' : 'dark')}
            aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}
          >
            {theme === 'dark' ? '☀ Light' : '☾ Dark'}
          </button>
        </div>
      </header>
      <Notice />
      <ViewTabs />
      <main id="view-panel" role="tabpanel" aria-labelledby={`tab-${view}`}>
        {view === 'models' && <ModelsView />}
        {view === 'rollouts' && <RolloutsView />}
        {view === 'inspect' && <InspectorView />}
        {view === 'train' && <TrainingView />}
      </main>
    </div>
  );
}
