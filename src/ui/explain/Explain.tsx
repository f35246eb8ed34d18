import { useId } from 'react';
import { useAppStore } from '../../store/store';
import { explainTopics, type ExplainTopic } from './topics';
import './explain.css';

/** A short teaching note about `topic`, shown only while Explain mode is on. */
export function Explain({ topic }: { topic: ExplainTopic }) {
  const on = useAppStore((s) => s.explain);
  const titleId = useId();
  if (!on) return null;
  const { title, text } = explainTopics[topic];
  return (
    <aside className="explain-note" aria-labelledby={titleId} data-topic={topic}>
      <strong id={titleId} className="explain-title">
        {title}
      </strong>
      <p>{text}</p>
    </aside>
  );
}

/** The switch for Explain mode: short notes beside every view. */
export function ExplainToggle() {
  const on = useAppStore((s) => s.explain);
  const setExplain = useAppStore((s) => s.setExplain);
  return (
    <label className="explain-toggle">
      <input type="checkbox" role="switch" checked={on} onChange={(e) => setExplain(e.target.checked)} />
      <span>Explain mode</span>
    </label>
  );
}
