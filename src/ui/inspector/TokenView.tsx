import {
  useEffect,
  useId,
  useMemo,
  useRef,
  useState,
  type FocusEvent,
  type KeyboardEvent,
  type MouseEvent,
  type ReactNode,
} from 'react';
import type { TrajectoryRecord } from '../../sod/record';
import { stepIndexOfTokens } from '../../sod/steps';
import type { StepWeighting, TokenScores } from '../../sod/weights';
import { Explain } from '../explain/Explain';
import { TokenCard } from './TokenCard';
import './inspector.css';

/** Text for each token: the record's `tokens` when it has them, else `#id` from `response_ids`, else the position. */
export function tokenLabels(record: TrajectoryRecord): (t: number) => string {
  const tokens = record.tokens;
  if (Array.isArray(tokens)) return (t) => (typeof tokens[t] === 'string' ? tokens[t] : `#${t}`);
  const ids = record.response_ids;
  if (Array.isArray(ids)) return (t) => `#${String(ids[t])} `;
  return (t) => `·${t} `;
}

/** |s − τ| above this many nats gets the strongest colour. */
const colourCap = 3;

function divergenceColour(gap: number): string {
  const x = Math.min(gap / colourCap, 1);
  // From pale yellow (close to the teacher) to deep red (far from it).
  return `hsl(${Math.round(50 - 45 * x)} 90% ${Math.round(88 - 40 * x)}%)`;
}

/** How long the card stays after the pointer leaves a token, so the pointer can move onto it. */
const hideDelayMs = 150;
/** The card's width in px, to keep it inside the token view. */
const cardWidth = 340;

interface Props {
  sod: StepWeighting;
  opd: StepWeighting;
  scores: TokenScores;
  record: TrajectoryRecord;
  labels: (t: number) => string;
  /** Told which token the card describes (null when none), e.g. to mark it on the advantage chart. */
  onActiveChange?: (t: number | null) => void;
}

interface Active {
  t: number;
  left: number;
  top: number;
}

/** The token position an event happened on, from the `data-t` of the nearest token element. */
function tokenOf(target: EventTarget | null): { t: number; element: HTMLElement } | null {
  if (!(target instanceof Element)) return null;
  const element = target.closest<HTMLElement>('[data-t]');
  if (element === null) return null;
  return { t: Number(element.dataset.t), element };
}

/**
 * The trajectory token by token: coloured by |s − τ|, tool output shaded, each step outlined
 * with its SOD and OPD weight. Hovering or focusing a token shows a card with its numbers.
 * Keyboard: Tab enters the tokens, ← → Home End move between them, Escape hides the card.
 */
export function TokenView({ sod, opd, scores, record, labels, onActiveChange }: Props) {
  const { mask, studentLogprobs, teacherLogprobs } = scores;
  const cardId = useId();
  const wrap = useRef<HTMLDivElement>(null);
  const hideTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const [active, setActive] = useState<Active | null>(null);
  // Roving tab stop: one token is in the tab order, the arrow keys move between tokens.
  const [tabStop, setTabStop] = useState(0);
  const stepOfToken = useMemo(() => stepIndexOfTokens(sod.steps, mask.length), [sod.steps, mask.length]);

  useEffect(() => () => clearTimeout(hideTimer.current), []);
  useEffect(() => onActiveChange?.(active?.t ?? null), [active?.t, onActiveChange]);
  // Another trajectory: the old position may not exist in it.
  useEffect(() => {
    setActive(null);
    setTabStop(0);
  }, [record]);

  function show(t: number, element: HTMLElement) {
    clearTimeout(hideTimer.current);
    const box = wrap.current?.getBoundingClientRect();
    const rect = element.getBoundingClientRect();
    const left = box === undefined ? 0 : Math.max(0, Math.min(rect.left - box.left, box.width - cardWidth));
    const top = box === undefined ? 0 : rect.bottom - box.top + 4;
    setActive((a) => (a !== null && a.t === t && a.left === left && a.top === top ? a : { t, left, top }));
  }

  /** Hides the card soon, or goes back to the focused token if there is one. */
  function scheduleHide() {
    clearTimeout(hideTimer.current);
    hideTimer.current = setTimeout(() => {
      const focused = tokenOf(document.activeElement);
      if (focused !== null && wrap.current?.contains(focused.element)) show(focused.t, focused.element);
      else setActive(null);
    }, hideDelayMs);
  }

  function onMouseOver(event: MouseEvent) {
    const hit = tokenOf(event.target);
    if (hit === null) scheduleHide();
    else show(hit.t, hit.element);
  }

  function onFocus(event: FocusEvent) {
    const hit = tokenOf(event.target);
    if (hit === null) return;
    setTabStop(hit.t);
    show(hit.t, hit.element);
  }

  function onBlur(event: FocusEvent) {
    if (!(event.relatedTarget instanceof Node) || !wrap.current?.contains(event.relatedTarget)) {
      clearTimeout(hideTimer.current);
      setActive(null);
    }
  }

  function onKeyDown(event: KeyboardEvent) {
    const hit = tokenOf(event.target);
    if (hit === null) return;
    if (event.key === 'Escape') {
      clearTimeout(hideTimer.current);
      setActive(null);
      return;
    }
    const next =
      event.key === 'ArrowRight'
        ? hit.t + 1
        : event.key === 'ArrowLeft'
          ? hit.t - 1
          : event.key === 'Home'
            ? 0
            : event.key === 'End'
              ? mask.length - 1
              : undefined;
    if (next === undefined || next < 0 || next >= mask.length) return;
    event.preventDefault();
    wrap.current?.querySelector<HTMLElement>(`[data-t="${next}"]`)?.focus();
  }

  function token(u: number, className: string, background?: string): ReactNode {
    return (
      <span
        key={u}
        className={className}
        style={background === undefined ? undefined : { background }}
        data-t={u}
        tabIndex={u === tabStop ? 0 : -1}
        aria-describedby={active?.t === u ? cardId : undefined}
      >
        {labels(u)}
      </span>
    );
  }

  const pieces: ReactNode[] = [];
  let t = 0;
  while (t < mask.length) {
    const k = stepOfToken[t];
    const start = t;
    while (t < mask.length && stepOfToken[t] === k) t++;
    const tokens: ReactNode[] = [];
    for (let u = start; u < t; u++) {
      tokens.push(
        k < 0
          ? token(u, 'token masked')
          : token(u, 'token', divergenceColour(Math.abs(studentLogprobs[u] - teacherLogprobs[u]))),
      );
    }
    pieces.push(
      k < 0 ? (
        <span key={`env-${start}`} className="inserted">
          {tokens}
        </span>
      ) : (
        <span key={`step-${k}`} className="step" data-step={k + 1}>
          <span className="step-badge">
            step {k + 1} · w SOD {sod.weights[k].toFixed(3)} · OPD {opd.weights[k].toFixed(3)}
          </span>
          {tokens}
        </span>
      ),
    );
  }

  return (
    <section className="panel" aria-label="Tokens">
      <h2>Tokens</h2>
      <div className="legend" aria-label="Colour legend">
        <span>|s − τ|:</span>
        <span
          className="legend-bar"
          style={{
            background: `linear-gradient(90deg, ${divergenceColour(0)}, ${divergenceColour(colourCap / 2)}, ${divergenceColour(colourCap)})`,
          }}
        />
        <span>0 → ≥ {colourCap} nats</span>
        <span className="inserted legend-swatch">tool output (mask 0)</span>
        <span className="legend-step">step: outlined, with its weight w under SOD and OPD</span>
      </div>
      <p className="hint token-hint">Hover a token, or Tab into the text and use ← →, to see its numbers.</p>
      <Explain topic="step" />
      <Explain topic="masked" />
      <div className="tokens-wrap" ref={wrap} onMouseLeave={scheduleHide}>
        <div className="tokens" onMouseOver={onMouseOver} onFocus={onFocus} onBlur={onBlur} onKeyDown={onKeyDown}>
          {pieces}
        </div>
        {active !== null && active.t < mask.length && (
          <TokenCard
            id={cardId}
            t={active.t}
            step={stepOfToken[active.t]}
            sod={sod}
            opd={opd}
            scores={scores}
            record={record}
            labels={labels}
            style={{ left: active.left, top: active.top }}
            onMouseEnter={() => clearTimeout(hideTimer.current)}
            onMouseLeave={scheduleHide}
          />
        )}
      </div>
    </section>
  );
}
