import { describe, expect, it } from 'vitest';
import { defaultPpoSettings } from '../sod/loss';
import type { TrainingSettings } from './training/settings';
import { csvRow, metricsCsv, metricsJsonl, trajectoriesJsonl, verlScaleUpText } from './export';
import type { Trajectory } from './trajectory';
import type { UpdateMetrics } from './update';

function trajectory(id: string, logprobs: number[]): Trajectory {
  return {
    task_id: id,
    group: `0:${id}`,
    question: 'What is 2 + 3, "exactly"?\nUse the tool.',
    reference_answer: '5',
    prompt_ids: [1, 2, 3],
    response_ids: [4, 5, 6, 7],
    mask: [1, 1, 0, 1],
    student_logprobs: logprobs,
    teacher_logprobs: [-0.5, -0.25, 0, -1e-9],
    turn_spans: [{ start: 0, end: 2 }],
    tool_calls: [{ turn: 0, code: 'print(2 + 3)', output: '5\n', error: null, duration_ms: 12.5 }],
    answer: '5',
    correct: true,
    reward: 1,
    turns: 4,
    stop_reason: 'answer',
    text: '<tool_call>…</tool_call>\\boxed{5}',
    timings: { generate_ms: 10, tool_ms: 12.5, total_ms: 30 },
  };
}

const metrics: UpdateMetrics = {
  update: 1,
  method: 'sod',
  trajectories: 8,
  loss: -0.125,
  gradNorm: 0.75,
  optimizerSteps: 1,
  ppoSteps: [],
  meanReward: -0.4,
  accuracy: 0.25,
  clipFraction: 0.01,
  approxKl: 1e-4,
  steps: {
    trajectories: 8,
    steps: 20,
    meanDivergence: 0.3,
    meanWeight: 0.9,
    meanTokenWeight: 0.95,
    byStep: [{ step: 1, count: 8, meanDivergence: 0.3, meanWeight: 1 }],
  },
  generatedTokens: 1234,
  tokensPerSecond: 56.5,
  seconds: { rollout: 20, score: 2, train: 3, total: 25 },
};
const { steps: _steps, ...grpoFields } = metrics;
const grpoMetrics: UpdateMetrics = { ...grpoFields, update: 2, method: 'grpo' };

const lines = (text: string) => {
  expect(text.endsWith('\n')).toBe(true);
  return text.slice(0, -1).split('\n');
};

describe('trajectoriesJsonl', () => {
  const input = [trajectory('a', [-0.1, -0.2, 0, -0.3]), trajectory('b', [-1, -2, 0, -3])];

  it('writes one newline-terminated line per trajectory that parses back to it', () => {
    const text = trajectoriesJsonl(input);
    expect(lines(text).map((l) => JSON.parse(l))).toEqual(input);
  });

  it('adds the extra fields to each line', () => {
    const text = trajectoriesJsonl(input, (t, i) => ({ update: 3, index: i, id: t.task_id }));
    expect(lines(text).map((l) => JSON.parse(l))).toEqual(
      input.map((t, i) => ({ ...t, update: 3, index: i, id: t.task_id })),
    );
  });

  it('refuses extra fields that would replace trajectory fields', () => {
    expect(() => trajectoriesJsonl(input, () => ({ reward: 0 }))).toThrow('trajectory 0 (line 1): extra field reward');
  });

  it('writes nothing for no trajectories', () => {
    expect(trajectoriesJsonl([])).toBe('');
  });

  it('refuses NaN, naming the trajectory, line, field and index', () => {
    const bad = [...input, input[0], trajectory('d', [-0.1, -0.2, -0.3, -0.4, -0.5, Number.NaN])];
    expect(() => trajectoriesJsonl(bad)).toThrow('trajectory 3 (line 4): student_logprobs[5] is NaN');
  });

  it('refuses infinities in teacher log-probs and in other numbers', () => {
    const t = trajectory('e', [0, 0, 0, 0]);
    expect(() => trajectoriesJsonl([{ ...t, teacher_logprobs: [0, Number.NEGATIVE_INFINITY] }])).toThrow(
      'trajectory 0 (line 1): teacher_logprobs[1] is -Infinity',
    );
    expect(() => trajectoriesJsonl([{ ...t, timings: { ...t.timings, tool_ms: Number.POSITIVE_INFINITY } }])).toThrow(
      'timings.tool_ms is Infinity',
    );
    expect(() => trajectoriesJsonl([t], () => ({ score: Number.NaN }))).toThrow('score is NaN');
  });
});

describe('metricsJsonl', () => {
  it('round-trips, with and without step statistics', () => {
    expect(lines(metricsJsonl([metrics, grpoMetrics])).map((l) => JSON.parse(l))).toEqual([metrics, grpoMetrics]);
  });

  it('refuses a NaN loss rather than writing null', () => {
    expect(() => metricsJsonl([metrics, { ...metrics, loss: Number.NaN }])).toThrow('update 1 (line 2): loss is NaN');
  });
});

describe('metricsCsv', () => {
  const header =
    'update,method,trajectories,loss,grad_norm,optimizer_steps,mean_reward,accuracy,clip_fraction,approx_kl,mean_divergence,mean_weight,mean_token_weight,generated_tokens,tokens_per_second,seconds_rollout,seconds_score,seconds_train,seconds_total';

  it('writes the header and one CRLF row per update, step columns empty without steps', () => {
    expect(metricsCsv([metrics, grpoMetrics]).split('\r\n')).toEqual([
      header,
      '1,sod,8,-0.125,0.75,1,-0.4,0.25,0.01,0.0001,0.3,0.9,0.95,1234,56.5,20,2,3,25',
      '2,grpo,8,-0.125,0.75,1,-0.4,0.25,0.01,0.0001,,,,1234,56.5,20,2,3,25',
      '',
    ]);
  });

  it('writes the header alone for no updates', () => {
    expect(metricsCsv([])).toBe(header + '\r\n');
  });

  it('quotes fields with a comma, a quote or a line break (RFC 4180)', () => {
    expect(csvRow(['a,b', 'say "hi"', 'two\nlines', 'plain', 1.5, undefined])).toBe(
      '"a,b","say ""hi""","two\nlines",plain,1.5,\r\n',
    );
  });
});

describe('verlScaleUpText', () => {
  const settings: TrainingSettings = {
    method: 'sod',
    updates: 20,
    learningRate: 0.00002,
    loraRank: 16,
    promptsPerUpdate: 6,
    groupSize: 5,
    ppoEpochs: 1,
    ppoMiniBatchSize: 2,
    maxTokens: 384,
    maxTurns: 7,
    temperature: 0.9,
    epsilon: 0.0000015,
    delta: 0.35,
    coef: 0.7,
    evalProblems: 0,
    evalEvery: 0,
    seed: 1,
  };

  it('says what it is, then gives the run settings and the clip settings as verl overrides', () => {
    const text = verlScaleUpText(settings);
    expect(text.split('\n')[0]).toMatch(/^Equivalent settings for the reference SOD training script/);
    for (const line of [
      '+algorithm.token_kl_reg.enable=True',
      '+algorithm.token_kl_reg.stepwise_enable=True',
      `+algorithm.token_kl_reg.stepwise_epsilon=${settings.epsilon}`,
      '+algorithm.token_kl_reg.stepwise_delta=0.35',
      '+algorithm.token_kl_reg.stepwise_opd_coef=0.7',
      'actor_rollout_ref.rollout.n=5',
      `actor_rollout_ref.actor.clip_ratio_low=${defaultPpoSettings.clipLow}`,
      `actor_rollout_ref.actor.clip_ratio_high=${defaultPpoSettings.clipHigh}`,
      `actor_rollout_ref.actor.clip_ratio_c=${defaultPpoSettings.dualClip}`,
      'actor_rollout_ref.actor.optim.lr=0.00002',
      'actor_rollout_ref.model.lora_rank=16',
      'data.train_batch_size=6',
      'actor_rollout_ref.actor.ppo_epochs=1',
      'actor_rollout_ref.actor.ppo_mini_batch_size=2',
      'actor_rollout_ref.rollout.temperature=0.9',
      'actor_rollout_ref.rollout.multi_turn.max_assistant_turns=7',
      `data.max_response_length=${384 * 7}`,
    ]) {
      expect(text.split('\n')).toContain(line);
    }
  });

  it('turns the distillation term off for grpo and notes where the reference has no matching key', () => {
    const grpo = verlScaleUpText({ ...settings, method: 'grpo' });
    expect(grpo).toContain('+algorithm.token_kl_reg.enable=False');
    expect(grpo).not.toContain('stepwise_delta');
    expect(verlScaleUpText({ ...settings, method: 'opd' })).toMatch(/^# OPD .*no key found/m);
    expect(verlScaleUpText({ ...settings, method: 'distill' })).toMatch(/^# Pure distillation .*no key found/m);
  });

  it('refuses a setting that is not a finite number', () => {
    expect(() => verlScaleUpText({ ...settings, learningRate: Number.NaN })).toThrow(
      'verlScaleUpText: learningRate is NaN',
    );
  });
});
