import { useEffect, useState } from 'react';
import { InspectorView } from './inspector/InspectorView';

type Theme = 'light' | 'dark';

function initialTheme(): Theme {
  const saved = globalThis.localStorage?.getItem('sodp-theme');
  if (saved === 'light' || saved === 'dark') return saved;
  return globalThis.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export function App() {
  const [theme, setTheme] = useState<Theme>(initialTheme);
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    globalThis.localStorage?.setItem('sodp-theme', theme);
  }, [theme]);

  return (
    <div className="app">
      <header className="app-header">
        <div>
          <h1>SOD Playground</h1>
          <p className="tagline">Step-wise On-policy Distillation: see which steps of a trajectory get how much of the teacher's voice.</p>
        </div>
        <button type="button" className="ghost" onClick={() => setTheme(theme === 'dark' ? 'light' : 'dark')} aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}>
          {theme === 'dark' ? '☀ Light' : '☾ Dark'}
        </button>
      </header>
      <main>
        <InspectorView />
      </main>
    </div>
  );
}
