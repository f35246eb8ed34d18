import { useId } from 'react';
import './common.css';

export interface NumberFieldProps {
  label: string;
  /** What the user typed, kept as typed (also while it is invalid). */
  text: string;
  onTextChange(text: string): void;
  /** Why `text` is not accepted; shown next to the field. */
  error?: string;
  hint?: string;
  min?: number;
  max?: number;
  step?: number | 'any';
}

/** A labelled number input that shows its own error and hint; the caller decides what is valid. */
export function NumberField({ label, text, onTextChange, error, hint, min, max, step }: NumberFieldProps) {
  const id = useId();
  const describedBy = [error === undefined ? undefined : `${id}-error`, hint === undefined ? undefined : `${id}-hint`]
    .filter(Boolean)
    .join(' ');
  return (
    <div className="number-field">
      <label className="field-label" htmlFor={id}>
        {label}
      </label>
      <input
        id={id}
        type="number"
        inputMode="decimal"
        min={min}
        max={max}
        step={step}
        value={text}
        onChange={(e) => onTextChange(e.target.value)}
        aria-invalid={error !== undefined}
        aria-describedby={describedBy || undefined}
      />
      {error !== undefined && (
        <span id={`${id}-error`} className="field-error">
          {error}
        </span>
      )}
      {hint !== undefined && (
        <span id={`${id}-hint`} className="hint">
          {hint}
        </span>
      )}
    </div>
  );
}
