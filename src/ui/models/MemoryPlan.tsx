import { formatBytes } from '../common/format';
import type { LoadedModel } from '../../workers/protocols';

const partColors: Record<string, string> = {
  weights: 'var(--plan-weights, #4e79a7)',
  'KV caches': 'var(--plan-kv, #f28e2b)',
  'activations and scratch': 'var(--plan-activations, #76b7b2)',
  'shared prompt': 'var(--plan-prompt, #59a14f)',
  LoRA: 'var(--plan-lora, #e15759)',
  'AdamW state': 'var(--plan-adam, #b07aa1)',
};

/**
 * A model's memory plan (made before it loaded) as one stacked bar by part, what the engine
 * holds now beside it, and the largest tensor beside the device's limits on WebGPU.
 */
export function MemoryPlan({ model }: { model: LoadedModel }) {
  const { plan, planWorkload: w, limits } = model;
  const planned = plan.parts.find((p) => p.part === 'weights')?.bytes ?? 0;
  const largestFits =
    limits === undefined ||
    plan.largestTensorBytes <= Math.min(limits.maxBufferSize, limits.maxStorageBufferBindingSize);
  const what = plan.parts.some((p) => p.part === 'LoRA')
    ? `a training run of the default settings: prompts of ${w.promptTokens} tokens, trajectories of ${w.responseTokens} more, ${w.sequencesPerStep} sequences per optimizer step`
    : `scoring trajectories of ${w.promptTokens} + ${w.responseTokens} tokens`;
  return (
    <section className="memory-plan" aria-label="Memory plan">
      <h4>Memory plan: {formatBytes(plan.totalBytes)}</h4>
      <p className="muted">For {what}.</p>
      <div
        className="memory-plan-bar"
        role="img"
        aria-label={plan.parts.map((p) => `${p.part} ${formatBytes(p.bytes)}`).join(', ')}
      >
        {plan.parts.map((p) => (
          <span
            key={p.part}
            style={{ flexGrow: p.bytes, background: partColors[p.part] }}
            title={`${p.part}: ${formatBytes(p.bytes)}`}
          />
        ))}
      </div>
      <ul className="memory-plan-legend">
        {plan.parts.map((p) => (
          <li key={p.part} data-part={p.part}>
            <span className="swatch" style={{ background: partColors[p.part] }} />
            {p.part} <strong>{formatBytes(p.bytes)}</strong>
          </li>
        ))}
      </ul>
      <p data-value="allocated">
        The engine holds {formatBytes(model.allocatedBytes)} now (its own count); the plan's weights are{' '}
        {formatBytes(planned)} ({signedPercent(model.allocatedBytes, planned)}).
      </p>
      {limits !== undefined && (
        <p data-value="limits" className={largestFits ? undefined : 'error'}>
          Largest tensor {formatBytes(plan.largestTensorBytes)} (the embedding and LM head,{' '}
          {formatBytes(plan.vocabularyMatrixBytes)}, are split by rows when they must be); this device allows{' '}
          {formatBytes(limits.maxBufferSize)} a buffer and {formatBytes(limits.maxStorageBufferBindingSize)} a binding.
        </p>
      )}
    </section>
  );
}

function signedPercent(actual: number, planned: number): string {
  if (planned === 0) return '—';
  const p = (100 * (actual - planned)) / planned;
  return `${p >= 0 ? '+' : '−'}${Math.abs(p).toFixed(p !== 0 && Math.abs(p) < 1 ? 1 : 0)}%`;
}
