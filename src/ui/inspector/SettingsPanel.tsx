import { useMemo } from 'react';
import { useAppStore } from '../../store/store';
import { parseSettings } from '../../store/inspector/selectors';
import type { SettingsText } from '../../store/inspector/initialState';
import { Explain } from '../explain/Explain';

const fields: { name: keyof SettingsText; label: string; hint: string; step: string }[] = [
  { name: 'epsilon', label: 'ε (epsilon)', hint: 'keeps (d_u + ε)/(d_k + ε) finite; > 0', step: '1e-6' },
  { name: 'delta', label: 'δ (delta)', hint: 'a step weight never exceeds 1 + δ; ≥ 0', step: '0.05' },
  { name: 'coef', label: 'c (OPD coefficient)', hint: 'scales the distillation term', step: '0.1' },
];

/** ε, δ and c; every change recomputes the weighting through src/sod. */
export function SettingsPanel() {
  const text = useAppStore((s) => s.settings);
  const setSetting = useAppStore((s) => s.setSetting);
  const resetSettings = useAppStore((s) => s.resetSettings);
  const parsed = useMemo(() => parseSettings(text), [text]);

  return (
    <section className="panel settings" aria-label="Step weight settings">
      <div className="settings-fields">
        {fields.map((f) => (
          <label key={f.name} className="setting">
            <span className="field-label">{f.label}</span>
            <input
              type="number"
              inputMode="decimal"
              step={f.step}
              value={text[f.name]}
              onChange={(e) => setSetting(f.name, e.target.value)}
              aria-invalid={!parsed.ok && parsed.field === f.name}
              aria-describedby={`hint-${f.name}`}
            />
            <span id={`hint-${f.name}`} className="hint">
              {f.hint}
            </span>
          </label>
        ))}
        <button type="button" className="ghost" onClick={resetSettings}>
          Defaults
        </button>
      </div>
      {!parsed.ok && (
        <p className="error" role="alert">
          {parsed.message}
        </p>
      )}
      <Explain topic="weight" />
    </section>
  );
}
