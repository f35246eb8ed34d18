/**
 * Text exports of a training run: trajectories and metrics as JSONL, metrics as CSV, and the
 * run's settings translated into overrides for the reference SOD training script (verl).
 * Pure functions of their inputs, so the browser's download buttons and the CLI share them.
 */
import { defaultPpoSettings } from '../sod/loss';
import type { TrainingSettings } from './training/settings';
import type { Trajectory } from './trajectory';
import type { UpdateMetrics } from './update';

/**
 * The path (e.g. "student_logprobs[5]") and value of the first number in `value` that is
 * NaN or ±Infinity, or undefined when there is none. JSON.stringify would write those as
 * null, and a null log-prob read back later breaks the step weights far from the cause.
 */
function firstNonFinite(value: unknown, path: string): { path: string; value: number } | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : { path, value };
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = firstNonFinite(value[i], `${path}[${i}]`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (typeof value === 'object' && value !== null) {
    for (const [key, child] of Object.entries(value)) {
      const found = firstNonFinite(child, path === '' ? key : `${path}.${key}`);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** One JSON line, refusing non-finite numbers with "<what> <i> (line <i + 1>): <field> is NaN". */
function jsonLine(value: object, what: string, index: number): string {
  const bad = firstNonFinite(value, '');
  if (bad !== undefined) throw new Error(`${what} ${index} (line ${index + 1}): ${bad.path} is ${String(bad.value)}`);
  return JSON.stringify(value) + '\n';
}

/**
 * Trajectory JSONL (the format `sodp weights` reads): one object per trajectory, each line
 * newline-terminated. `extra` adds fields to a line (e.g. the update number); it may not
 * replace a trajectory field, since the file must reproduce the numbers of the run.
 */
export function trajectoriesJsonl(
  trajectories: readonly Trajectory[],
  extra?: (t: Trajectory, i: number) => Record<string, unknown>,
): string {
  return trajectories
    .map((t, i) => {
      const added = extra?.(t, i) ?? {};
      const clash = Object.keys(added).find((key) => Object.hasOwn(t, key));
      if (clash !== undefined)
        throw new Error(`trajectory ${i} (line ${i + 1}): extra field ${clash} would replace the trajectory's own`);
      return jsonLine({ ...t, ...added }, 'trajectory', i);
    })
    .join('');
}

/** Metrics JSONL: one UpdateMetrics object per line, field names as in the type. */
export function metricsJsonl(metrics: readonly UpdateMetrics[]): string {
  return metrics.map((m, i) => jsonLine(m, 'update', i)).join('');
}

export type CsvValue = string | number | undefined;

/** One CSV field per RFC 4180: quoted when it holds a comma, a quote or a line break. */
function csvField(value: CsvValue): string {
  const text = value === undefined ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One CSV record, CRLF-terminated as RFC 4180 asks. An undefined field is written empty. */
export function csvRow(fields: readonly CsvValue[]): string {
  return fields.map(csvField).join(',') + '\r\n';
}

/** The metrics CSV columns, each with how it is read from one update's metrics. */
const metricsColumns: readonly (readonly [string, (m: UpdateMetrics) => CsvValue])[] = [
  ['update', (m) => m.update],
  ['method', (m) => m.method],
  ['trajectories', (m) => m.trajectories],
  ['loss', (m) => m.loss],
  ['grad_norm', (m) => m.gradNorm],
  ['optimizer_steps', (m) => m.optimizerSteps],
  ['mean_reward', (m) => m.meanReward],
  ['accuracy', (m) => m.accuracy],
  ['clip_fraction', (m) => m.clipFraction],
  ['approx_kl', (m) => m.approxKl],
  // Step statistics exist only for methods with a teacher; grpo rows leave them empty.
  ['mean_divergence', (m) => m.steps?.meanDivergence],
  ['mean_weight', (m) => m.steps?.meanWeight],
  ['mean_token_weight', (m) => m.steps?.meanTokenWeight],
  ['generated_tokens', (m) => m.generatedTokens],
  ['tokens_per_second', (m) => m.tokensPerSecond],
  ['seconds_rollout', (m) => m.seconds.rollout],
  ['seconds_score', (m) => m.seconds.score],
  ['seconds_train', (m) => m.seconds.train],
  ['seconds_total', (m) => m.seconds.total],
];

/**
 * Metrics CSV: a header row, then one row per update. Numbers are written in JavaScript's
 * shortest round-trip form; a diverged run's NaN stays "NaN" (pandas and spreadsheets read it).
 */
export function metricsCsv(metrics: readonly UpdateMetrics[]): string {
  return (
    csvRow(metricsColumns.map(([name]) => name)) +
    metrics.map((m) => csvRow(metricsColumns.map(([, read]) => read(m)))).join('')
  );
}

/**
 * The run's settings as Hydra overrides for the reference implementation
 * (github.com/YoungZ365/SOD, examples/SOD/run_sod.sh, which runs verl.trainer.main_ppo),
 * so a result seen in the playground can be scaled up. Key names were read from that repo:
 * the `+algorithm.token_kl_reg.*` keys from run_sod.sh and verl/trainer/config/algorithm.py,
 * clip_ratio_c from verl/trainer/config/actor/actor.yaml, lora_rank from
 * verl/trainer/config/ppo_trainer.yaml. Lines starting with '#' are notes, not overrides.
 */
export function verlScaleUpText(settings: TrainingSettings): string {
  const numbers: (keyof TrainingSettings)[] = [
    'learningRate',
    'loraRank',
    'promptsPerUpdate',
    'groupSize',
    'ppoEpochs',
    'ppoMiniBatchSize',
    'maxTokens',
    'maxTurns',
    'temperature',
    'epsilon',
    'delta',
    'coef',
  ];
  for (const key of numbers) {
    const v = settings[key];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`verlScaleUpText: ${key} is ${String(v)}`);
  }
  const ppo = defaultPpoSettings;
  const responseTokens = settings.maxTokens * settings.maxTurns;
  const lines = [
    'Equivalent settings for the reference SOD training script (github.com/YoungZ365/SOD, examples/SOD/run_sod.sh): set these overrides on its `python3 -m verl.trainer.main_ppo` command.',
    ...methodLines(settings),
    `actor_rollout_ref.rollout.n=${settings.groupSize}`,
    `actor_rollout_ref.actor.clip_ratio_low=${ppo.clipLow}`,
    `actor_rollout_ref.actor.clip_ratio_high=${ppo.clipHigh}`,
    `actor_rollout_ref.actor.clip_ratio_c=${ppo.dualClip}`,
    `actor_rollout_ref.actor.optim.lr=${settings.learningRate}`,
    '# run_sod.sh trains every weight (lora_rank 0); a positive rank trains LoRA adapters as the playground does.',
    `actor_rollout_ref.model.lora_rank=${settings.loraRank}`,
    `data.train_batch_size=${settings.promptsPerUpdate}`,
    `actor_rollout_ref.actor.ppo_epochs=${settings.ppoEpochs}`,
    `actor_rollout_ref.actor.ppo_mini_batch_size=${Math.min(settings.ppoMiniBatchSize, settings.promptsPerUpdate)}`,
    `actor_rollout_ref.rollout.temperature=${settings.temperature}`,
    `actor_rollout_ref.rollout.multi_turn.max_assistant_turns=${settings.maxTurns}`,
    `# No per-turn token limit key found in the repo: data.max_response_length caps the whole multi-turn response (tool output included), so it is set to ${settings.maxTokens} tokens per turn × ${settings.maxTurns} turns.`,
    `data.max_response_length=${responseTokens}`,
  ];
  return lines.join('\n') + '\n';
}

/** The token_kl_reg overrides that select the method, with a note where the reference has no exact match. */
function methodLines(settings: TrainingSettings): string[] {
  const sod = [
    '+algorithm.token_kl_reg.enable=True',
    '+algorithm.token_kl_reg.stepwise_enable=True',
    `+algorithm.token_kl_reg.stepwise_epsilon=${settings.epsilon}`,
    `+algorithm.token_kl_reg.stepwise_delta=${settings.delta}`,
    `+algorithm.token_kl_reg.stepwise_opd_coef=${settings.coef}`,
  ];
  switch (settings.method) {
    case 'sod':
      return sod;
    case 'grpo':
      return [
        '# GRPO: the distillation term is off, so epsilon, delta and coef do not apply.',
        '+algorithm.token_kl_reg.enable=False',
      ];
    case 'opd':
      return [
        '# OPD (every w_k = 1): no key found in the repo for unweighted OPD; its step-wise mode always weights steps. Nearest: the SOD keys.',
        ...sod,
      ];
    case 'distill':
      return [
        '# Pure distillation (no outcome reward): no key found in the repo to drop the GRPO advantage. Nearest: the SOD keys.',
        ...sod,
      ];
  }
}
