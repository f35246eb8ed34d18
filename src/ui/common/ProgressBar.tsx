import './common.css';

export interface ProgressBarProps {
  /** The bar's accessible name, e.g. "Student download". */
  label: string;
  /** Omit both value and max for an indeterminate bar (the total is not known yet). */
  value?: number;
  max?: number;
  /** Shown under the bar and read out as the bar's value text. */
  text: string;
}

/** A determinate or indeterminate progress bar with a line of text under it. */
export function ProgressBar({ label, value, max, text }: ProgressBarProps) {
  const determinate = value !== undefined && max !== undefined && max > 0;
  const percent = determinate ? Math.min(100, Math.max(0, (value / max) * 100)) : 0;
  return (
    <div className="progress">
      <div
        role="progressbar"
        aria-label={label}
        aria-valuemin={determinate ? 0 : undefined}
        aria-valuemax={determinate ? max : undefined}
        aria-valuenow={determinate ? value : undefined}
        aria-valuetext={text}
        className={determinate ? 'progress-track' : 'progress-track progress-indeterminate'}
      >
        <div className="progress-fill" style={determinate ? { width: `${percent}%` } : undefined} />
      </div>
      <span className="progress-text">{text}</span>
    </div>
  );
}
