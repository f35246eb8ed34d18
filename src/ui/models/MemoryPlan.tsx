import type { TrainingSettings } from '../../agent/training/settings';
import type { PlanPart, Workload } from '../../engine/memory-plan';
import type { PlanState } from '../../store/models/types';
import type { LoadedModel } from '../../workers/protocols';
import { formatBytes } from '../common/format';

const partColors: Record<string, string> = {
  weights: 'var(--plan-weights, #4e79a7)',
  'KV caches': 'var(--plan-kv, #f28e2b)',
  'activations and scratch': 'var(--plan-activations, #76b7b2)',
  'shared prompt': 'var(--plan-prompt, #59a14f)',
  LoRA: 'var(--plan-lora, #e15759)',
  'AdamW state': 'var(--plan-adam, #b07aa1)',
};

/** Which of the Training form's settings make a part of the plan grow. */
const whatShrinks: Record<PlanPart, string> = {
  weights: 'a smaller model',
  'KV caches': 'shorter or fewer turns',
  'activations and scratch': 'shorter turns, or fewer samples per prompt or prompts per mini-batch',
  'shared prompt': 'a shorter prompt',
  LoRA: 'a lower LoRA rank',
  'AdamW state': 'a lower LoRA rank',
};

/** The Training form's settings a plan was made for, in words. */
export function plannedSettingsText(s: TrainingSettings, w: Workload, student: boolean): string {
  const turns = `${s.maxTurns} turns of ${s.maxTokens} tokens`;
  return student
    ? `LoRA rank ${s.loraRank}, ${turns}, ${s.groupSize} samples per prompt, ${s.promptsPerUpdate} prompts per update in mini-batches of ${s.ppoMiniBatchSize}: prompts of ${w.promptTokens} tokens, trajectories of ${w.responseTokens} more, ${w.sequencesPerStep} sequences per optimizer step`
    : `scoring ${turns}: prompts of ${w.promptTokens} tokens, trajectories of ${w.responseTokens} more`;
}

/** A loaded model with the plan made before it loaded (every engine model; not an ONNX teacher). */
export type PlannedModel = LoadedModel & Required<Pick<LoadedModel, 'plan' | 'planWorkload'>>;

export const hasPlan = (model: LoadedModel): model is PlannedModel =>
  model.plan !== undefined && model.planWorkload !== undefined;

interface MemoryPlanProps {
  model: PlannedModel;
  /** The plan for the Training form's settings, once asked for (else the load's plan, of the defaults, is shown). */
  planned?: PlanState;
  /** The memory the person says there is, in bytes. */
  budget?: number;
  /** Takes a proposal's settings into the Training form. */
  onUseSettings?: (settings: TrainingSettings) => void;
}

/**
 * A model's memory plan as one stacked bar by part, for the settings it was made for; what the
 * engine holds now beside it; the largest tensor beside the device's limits on WebGPU; and,
 * with a budget, whether it fits and the largest settings that do.
 */
export function MemoryPlan({ model, planned, budget, onUseSettings }: MemoryPlanProps) {
  const reply = planned?.reply;
  const plan = reply?.plan ?? model.plan;
  const w = reply?.workload ?? model.planWorkload;
  const { limits } = model;
  const student = plan.parts.some((p) => p.part === 'LoRA');
  const weights = plan.parts.find((p) => p.part === 'weights')?.bytes ?? 0;
  const largestFits =
    limits === undefined ||
    plan.largestTensorBytes <= Math.min(limits.maxBufferSize, limits.maxStorageBufferBindingSize);
  const what =
    reply !== undefined
      ? `the Training form's settings: ${plannedSettingsText(reply.settings, w, student)}`
      : student
        ? `a training run of the default settings: prompts of ${w.promptTokens} tokens, trajectories of ${w.responseTokens} more, ${w.sequencesPerStep} sequences per optimizer step`
        : `scoring trajectories of ${w.promptTokens} + ${w.responseTokens} tokens`;
  return (
    <section className="memory-plan" aria-label="Memory plan">
      <h4>Memory plan: {formatBytes(plan.totalBytes)}</h4>
      <p className="muted" data-value="planned-for">
        For {what}.
      </p>
      {planned?.status === 'planning' && (
        <p className="muted" role="status">
          Planning for the Training form's settings…
        </p>
      )}
      {planned?.status === 'failed' && <p className="error">{planned.error}</p>}
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
        {formatBytes(weights)} ({signedPercent(model.allocatedBytes, weights)}).
      </p>
      {limits !== undefined &&
        (largestFits ? (
          <p data-value="limits">
            Largest tensor {formatBytes(plan.largestTensorBytes)} (the embedding and LM head,{' '}
            {formatBytes(plan.vocabularyMatrixBytes)}, are split by rows when they must be); this device allows{' '}
            {formatBytes(limits.maxBufferSize)} a buffer and {formatBytes(limits.maxStorageBufferBindingSize)} a
            binding.
          </p>
        ) : (
          <p data-value="limits" className="error">
            Too big for this device: the largest tensor, {plan.largestTensor.label} ({plan.largestTensor.part}), takes{' '}
            {formatBytes(plan.largestTensorBytes)}, and this device allows {formatBytes(limits.maxBufferSize)} a buffer
            and {formatBytes(limits.maxStorageBufferBindingSize)} a binding. It shrinks with{' '}
            {whatShrinks[plan.largestTensor.part]}. (The embedding and LM head,{' '}
            {formatBytes(plan.vocabularyMatrixBytes)}, are split by rows when they must be.)
          </p>
        ))}
      {budget !== undefined && (
        <BudgetVerdict budget={budget} planned={planned} total={plan.totalBytes} onUseSettings={onUseSettings} />
      )}
    </section>
  );
}

function BudgetVerdict({
  budget,
  planned,
  total,
  onUseSettings,
}: {
  budget: number;
  planned?: PlanState;
  total: number;
  onUseSettings?: (settings: TrainingSettings) => void;
}) {
  const reply = planned?.reply;
  const plan = reply?.plan;
  if (total <= budget) return <p data-value="budget">Fits in {formatBytes(budget)}.</p>;
  const biggest = plan?.parts[0];
  const fit = reply?.fit;
  return (
    <div data-value="budget">
      <p className="error">
        Does not fit in {formatBytes(budget)}
        {biggest === undefined ? '' : `: ${biggest.part} take the most (${formatBytes(biggest.bytes)})`}.
      </p>
      {fit?.fits === true && (
        <p data-value="proposal">
          Fits with {fit.changes.join(', ')}: {formatBytes(fit.plan.totalBytes)}.{' '}
          {onUseSettings !== undefined && (
            <button type="button" onClick={() => onUseSettings(fit.settings)}>
              Use these settings
            </button>
          )}
        </p>
      )}
      {fit?.fits === false && (
        <p data-value="proposal">
          Does not fit even with {fit.changes.join(', ')} ({formatBytes(fit.plan.totalBytes)}): {fit.why}.
        </p>
      )}
    </div>
  );
}

function signedPercent(actual: number, planned: number): string {
  if (planned === 0) return '—';
  const p = (100 * (actual - planned)) / planned;
  return `${p >= 0 ? '+' : '−'}${Math.abs(p).toFixed(p !== 0 && Math.abs(p) < 1 ? 1 : 0)}%`;
}
