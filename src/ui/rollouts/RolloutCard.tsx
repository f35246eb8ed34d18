import { memo, useId, useLayoutEffect, useRef } from 'react';
import { classifyOutcome } from '../../agent/outcome';
import type { StopReason } from '../../agent/trajectory';
import type { LiveSegment, LiveTrajectory } from '../../store/rollouts/live';
import { formatNumber } from '../training/format';
import './rollouts.css';

const stopReasonText: Record<StopReason, string> = {
  answer: 'gave an answer',
  max_turns: 'reached max turns',
  max_tokens: 'reached max tokens',
  cancelled: 'cancelled',
  error: 'error',
};

export interface RolloutCardProps {
  trajectory: LiveTrajectory;
  /** 1-based problem number within this batch, and sample number within its group. */
  problem: number;
  sample: number;
  /** Opens this trajectory in the inspector; only offered once it is done. */
  onInspect?(index: number): void;
}

function statusText(t: LiveTrajectory): string {
  const tokens = `${t.tokens} ${t.tokens === 1 ? 'token' : 'tokens'}`;
  if (t.status === 'waiting') return 'waiting';
  if (t.status === 'running') return `writing… ${tokens}`;
  return `done · ${tokens}`;
}

/** One rollout as it is written: the student's text with tool runs inline, then how it ended. */
export const RolloutCard = memo(function RolloutCard({ trajectory: t, problem, sample, onInspect }: RolloutCardProps) {
  const headingId = useId();
  const n = t.index + 1;
  const result = t.result;
  return (
    <article className="panel rollout-card" aria-labelledby={headingId} data-status={t.status}>
      <header className="rollout-card-header">
        <h3 id={headingId}>
          Problem {problem} · sample {sample} <span className="rollout-id">{t.task.id}</span>
        </h3>
        <span className={`rollout-status rollout-status-${t.status}`}>{statusText(t)}</span>
      </header>
      <p className="rollout-question">{t.task.question}</p>
      {t.status !== 'waiting' && (
        <StreamText segments={t.segments} following={t.status === 'running'} label={`Text of trajectory ${n}`} />
      )}
      {result !== undefined && (
        <>
          <dl className="rollout-result">
            <div data-value="answer">
              <dt>Answer</dt>
              <dd>{result.answer ?? <span className="muted">no answer</span>}</dd>
            </div>
            <div data-value="reference">
              <dt>Reference</dt>
              <dd>{result.reference_answer}</dd>
            </div>
            <div data-value="correct">
              <dt>Result</dt>
              <dd className={result.correct ? 'rollout-right' : 'rollout-wrong'}>
                {result.correct ? '✓ right' : '✗ wrong'}
              </dd>
            </div>
            <div data-value="reward">
              <dt>Reward</dt>
              <dd>{formatNumber(result.reward, 2)}</dd>
            </div>
            <div data-value="stop">
              <dt>Stopped</dt>
              <dd>{stopReasonText[result.stop_reason]}</dd>
            </div>
            <div data-value="outcome">
              <dt>Outcome</dt>
              <dd>{classifyOutcome(result)}</dd>
            </div>
          </dl>
          {result.error !== undefined && <p className="error">{result.error}</p>}
          {onInspect !== undefined && (
            <button
              type="button"
              className="rollout-inspect"
              aria-label={`Inspect trajectory ${n}`}
              onClick={() => onInspect(t.index)}
            >
              Inspect
            </button>
          )}
        </>
      )}
    </article>
  );
});

/** Pixels from the bottom within which the text keeps following new tokens. */
const followSlack = 32;

/**
 * The streamed text in a scrolling block. While `following`, it keeps the newest text in view
 * unless the reader has scrolled up; it only sets scrollTop, so focus stays where it is.
 */
function StreamText({ segments, following, label }: { segments: LiveSegment[]; following: boolean; label: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  useLayoutEffect(() => {
    const el = ref.current;
    if (el !== null && following && atBottom.current) el.scrollTop = el.scrollHeight;
  }, [segments, following]);
  return (
    <div
      ref={ref}
      className="rollout-text"
      tabIndex={0}
      aria-label={label}
      onScroll={(e) => {
        const el = e.currentTarget;
        atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < followSlack;
      }}
    >
      {segments.length === 0 && <span className="muted">…</span>}
      {segments.map((s, i) => (s.kind === 'text' ? <span key={i}>{s.text}</span> : <ToolBox key={i} segment={s} />))}
    </div>
  );
}

function ToolBox({ segment }: { segment: Extract<LiveSegment, { kind: 'tool' }> }) {
  const failed = segment.error !== undefined && segment.error !== null;
  return (
    <div
      className="rollout-tool"
      data-tool-state={failed ? 'error' : segment.output === undefined ? 'running' : 'done'}
    >
      <div className="rollout-tool-label">Python</div>
      <pre className="rollout-tool-code">{segment.code}</pre>
      {failed ? (
        <div className="rollout-tool-error">
          <span className="rollout-tool-label">Error</span>
          <pre>{segment.error}</pre>
        </div>
      ) : segment.output === undefined ? (
        <div className="muted">running…</div>
      ) : (
        <div className="rollout-tool-output">
          <span className="rollout-tool-label">Output</span>
          <pre>{segment.output === '' ? '(no output)' : segment.output}</pre>
        </div>
      )}
    </div>
  );
}
