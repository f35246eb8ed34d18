import type { CSSProperties } from 'react';
import type { TrajectoryRecord } from '../../sod/record';
import type { StepWeighting, TokenScores } from '../../sod/weights';
import { alternativesAt, formatPercent, visibleToken, type AlternativesAt } from './alternatives';

interface Props {
  /** The element id that the described token points at with aria-describedby. */
  id: string;
  /** Response position. */
  t: number;
  /** Step of the token (0-based), or -1 for tool output. */
  step: number;
  sod: StepWeighting;
  opd: StepWeighting;
  scores: TokenScores;
  record: TrajectoryRecord;
  labels: (t: number) => string;
  style?: CSSProperties;
  onMouseEnter?: () => void;
  onMouseLeave?: () => void;
}

const fixed = (x: number) => x.toFixed(4);

function AlternativesList({ who, result, written }: { who: string; result: AlternativesAt; written: string }) {
  if (result.kind !== 'ok') return null;
  return (
    <div className="token-card-alts-col">
      <div className="token-card-alts-title">{who}’s top</div>
      {result.alternatives.length === 0 ? (
        <p className="muted">none recorded</p>
      ) : (
        <ol aria-label={`${who}’s top alternatives`}>
          {result.alternatives.map((a, i) => (
            <li key={i} className={a.token === written ? 'written' : undefined}>
              <code>{visibleToken(a.token)}</code>
              <span className="pct">{formatPercent(a.logprob)}</span>
              {a.token === written && <span className="visually-hidden"> (the token written)</span>}
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}

/** Everything about one token: s, τ, their gap, its step and weight, both advantages, and what each model would rather have written. */
export function TokenCard({ id, t, step, sod, opd, scores, record, labels, style, onMouseEnter, onMouseLeave }: Props) {
  const label = labels(t);
  const head = (
    <div className="token-card-head">
      <code>{visibleToken(label)}</code>
      <span className="muted">t = {t}</span>
    </div>
  );
  if (step < 0) {
    return (
      <div
        role="tooltip"
        id={id}
        className="token-card"
        style={style}
        onMouseEnter={onMouseEnter}
        onMouseLeave={onMouseLeave}
      >
        {head}
        <p className="token-card-masked">Inserted by the environment (mask 0): no supervision, a_t = 0.</p>
      </div>
    );
  }
  const s = scores.studentLogprobs[t];
  const tau = scores.teacherLogprobs[t];
  const student = alternativesAt(record, 'student_top', t);
  const teacher = alternativesAt(record, 'teacher_top', t);
  const notes = [student, teacher].flatMap((r) => (r.kind === 'malformed' ? [r.message] : []));
  return (
    <div
      role="tooltip"
      id={id}
      className="token-card"
      style={style}
      onMouseEnter={onMouseEnter}
      onMouseLeave={onMouseLeave}
    >
      {head}
      <dl className="token-card-numbers">
        <dt>step</dt>
        <dd>
          {step + 1} of {sod.steps.length}
        </dd>
        <dt>
          w<sub>k</sub>
        </dt>
        <dd>
          SOD {fixed(sod.weights[step])} · OPD {fixed(opd.weights[step])}
        </dd>
        <dt>s (student)</dt>
        <dd data-value="s">
          {fixed(s)} <span className="muted">({formatPercent(s)})</span>
        </dd>
        <dt>τ (teacher)</dt>
        <dd data-value="tau">
          {fixed(tau)} <span className="muted">({formatPercent(tau)})</span>
        </dd>
        <dt>|s − τ|</dt>
        <dd data-value="gap">{fixed(Math.abs(s - tau))} nats</dd>
        <dt>
          a<sub>t</sub> SOD
        </dt>
        <dd data-value="a-sod">{fixed(sod.distillAdvantages[t])}</dd>
        <dt>
          a<sub>t</sub> OPD
        </dt>
        <dd data-value="a-opd">{fixed(opd.distillAdvantages[t])}</dd>
      </dl>
      {(student.kind === 'ok' || teacher.kind === 'ok') && (
        <div className="token-card-alts">
          <AlternativesList who="Student" result={student} written={label} />
          <AlternativesList who="Teacher" result={teacher} written={label} />
        </div>
      )}
      {notes.map((message) => (
        <p key={message} className="token-card-note">
          Alternatives not shown: {message}.
        </p>
      ))}
    </div>
  );
}
