import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogprobScorer, Policy } from '../core/policy';
import { CpuBackend } from '../engine/cpu/backend';
import { EnginePolicy, EngineScorer } from '../engine/inference';
import { loadQwen3 } from '../engine/load';
import { initLoraParams, loraLayout } from '../engine/lora';
import { createLoraState } from '../engine/lora-state';
import { allLoraTargets } from '../engine/params';
import { folderFiles } from '../engine/node-files';
import { defaultAdamW, LoraTrainer } from '../engine/train';
import { createNodeSandbox } from '../tools/node-sandbox';
import type { PythonSandbox } from '../tools/sandbox';
import { ChatFormat } from './chat';
import { loadTokenizer } from './load-tokenizer';
import { generateArithmeticTasks } from './tasks/arithmetic';
import { defaultTrainingSettings, trainingPlan } from './training/settings';
import { ppoSchedule, runUpdate, type UpdateModels } from './update';

const defaultUpdate = trainingPlan(defaultTrainingSettings, []).update;

describe('ppoSchedule', () => {
  it('takes epochs × ⌈prompts / mini-batch⌉ steps, each holding whole groups', () => {
    expect(ppoSchedule(4, 2, 1, 4)).toEqual([[0, 1, 2, 3, 4, 5, 6, 7]]);
    expect(ppoSchedule(4, 2, 2, 2)).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ]);
    // The last mini-batch of an epoch holds what is left.
    expect(ppoSchedule(5, 1, 1, 2)).toEqual([[0, 1], [2, 3], [4]]);
    expect(ppoSchedule(3, 4, 3, 1)).toHaveLength(9);
    // A mini-batch larger than the batch is the whole batch.
    expect(ppoSchedule(2, 3, 1, 8)).toEqual([[0, 1, 2, 3, 4, 5]]);
  });

  it('refuses sizes that are not positive integers, naming them', () => {
    expect(() => ppoSchedule(2, 2, 0, 1)).toThrow('PPO epochs must be a positive integer, got 0');
    expect(() => ppoSchedule(2, 2, 1, 1.5)).toThrow('PPO mini-batch size must be a positive integer, got 1.5');
  });
});

const models = (name: string) => fileURLToPath(new URL(`../../public/models/${name}`, import.meta.url));

/** The demo pair on the CPU with a fresh rank-4 adapter, a sandbox and the student's chat format. */
async function demoPair(lr: number) {
  const backend = new CpuBackend();
  const sandbox = createNodeSandbox({ timeoutMs: 10_000 });
  const chat = new ChatFormat(await loadTokenizer(models('tiny-qwen3-student')));
  const studentModel = await loadQwen3(backend, folderFiles(models('tiny-qwen3-student')));
  const layout = loraLayout(studentModel.config, { rank: 4, alpha: 8, targets: allLoraTargets });
  const lora = createLoraState(backend, layout, initLoraParams(layout, 1));
  return {
    sandbox,
    chat,
    student: new EnginePolicy('student', studentModel, lora),
    trainer: new LoraTrainer(studentModel, lora, { ...defaultAdamW, lr }),
    teacher: new EngineScorer('teacher', await loadQwen3(backend, folderFiles(models('tiny-qwen3-teacher')))),
  };
}

describe('runUpdate with PPO epochs and mini-batches (the demo pair, CPU)', () => {
  let sandbox: PythonSandbox;
  let chat: ChatFormat;
  let student: Policy & LogprobScorer;
  let teacher: LogprobScorer;
  let trainer: LoraTrainer<Float32Array | Float64Array>;
  beforeAll(async () => {
    ({ sandbox, chat, student, trainer, teacher } = await demoPair(2e-2));
  }, 60_000);
  afterAll(() => sandbox?.dispose());

  it('takes one step per mini-batch and epoch; after the first, the ratio to the rollout policy is not 1', async () => {
    const updateModels: UpdateModels = { student, trainer, teacher };
    const { trajectories, metrics } = await runUpdate(1, generateArithmeticTasks(2, 11), updateModels, chat, sandbox, {
      ...defaultUpdate,
      groupSize: 2,
      ppoEpochs: 2,
      ppoMiniBatchSize: 1,
      sampling: { temperature: 1, topP: 1, topK: 0, seed: 3, maxNewTokens: 64, stopTokenIds: [], stopStrings: [] },
      limits: { maxTurns: 2, maxTurnTokens: 64 },
    });
    expect(trajectories).toHaveLength(4);
    expect(metrics.optimizerSteps).toBe(4);
    expect(metrics.ppoSteps.map((p) => p.epoch)).toEqual([1, 1, 2, 2]);
    // Step 1 trains the parameters that wrote s: log πθ − s is 0 up to float rounding.
    expect(Math.abs(metrics.ppoSteps[0].approxKl)).toBeLessThan(1e-4);
    // Later steps see the adapter the earlier steps moved.
    const later = metrics.ppoSteps.slice(1).map((p) => Math.abs(p.approxKl));
    expect(Math.max(...later)).toBeGreaterThan(1e-3);
    const tokens = metrics.ppoSteps.reduce((n, p) => n + p.tokens, 0);
    const generated = trajectories.reduce((n, t) => n + t.mask.reduce((a, m) => a + m, 0), 0);
    expect(tokens).toBe(2 * generated); // every token once per epoch
    expect(metrics.approxKl).not.toBe(0);
  }, 120_000);
});

describe('runUpdate’s teacher', () => {
  let sandbox: PythonSandbox;
  let chat: ChatFormat;
  let student: Policy & LogprobScorer;
  let teacher: LogprobScorer;
  let trainer: LoraTrainer<Float32Array | Float64Array>;
  beforeAll(async () => {
    ({ sandbox, chat, student, trainer, teacher } = await demoPair(1e-3));
  }, 60_000);
  afterAll(() => sandbox?.dispose());

  const settings = {
    ...defaultUpdate,
    groupSize: 2,
    sampling: { temperature: 1, topP: 1, topK: 0, seed: 5, maxNewTokens: 48, stopTokenIds: [], stopStrings: [] },
    limits: { maxTurns: 2, maxTurnTokens: 48 },
  };

  it('scores each trajectory while the student rolls out the next (its own worker in the playground), one call at a time', async () => {
    const log: string[] = [];
    let inFlight = 0;
    const watched: LogprobScorer = {
      name: 'teacher',
      async scoreTokens(promptIds, responseIds, signal) {
        expect(inFlight).toBe(0);
        inFlight++;
        log.push('teacher starts');
        try {
          return await teacher.scoreTokens(promptIds, responseIds, signal);
        } finally {
          inFlight--;
        }
      },
    };
    const { trajectories } = await runUpdate(
      1,
      generateArithmeticTasks(2, 21),
      { student, trainer, teacher: watched },
      chat,
      sandbox,
      settings,
      { onEvent: (e) => e.kind === 'trajectory' && log.push('rollout ends') },
    );
    // The first trajectory's τ is started before the second rollout ends, not after all four.
    expect(log.slice(0, 3)).toEqual(['rollout ends', 'teacher starts', 'rollout ends']);
    expect(log.filter((e) => e === 'teacher starts')).toHaveLength(4);
    // τ is the teacher's own teacher-forced scoring of each trajectory.
    for (const t of trajectories) {
      const direct = await teacher.scoreTokens(t.prompt_ids, t.response_ids);
      expect(t.teacher_logprobs).toEqual(Array.from(direct));
    }
  }, 120_000);

  it('ends the update with the teacher’s first failure, after the rollouts, taking no optimizer step', async () => {
    let calls = 0;
    const failing: LogprobScorer = {
      name: 'teacher',
      async scoreTokens(promptIds, responseIds, signal) {
        if (++calls === 2) throw new Error('teacher lost its device');
        return teacher.scoreTokens(promptIds, responseIds, signal);
      },
    };
    const version = trainer.lora.version;
    await expect(
      runUpdate(1, generateArithmeticTasks(2, 22), { student, trainer, teacher: failing }, chat, sandbox, settings),
    ).rejects.toThrow('teacher lost its device');
    // The queue stops at the failure: no later trajectory was sent.
    expect(calls).toBe(2);
    expect(trainer.lora.version).toBe(version);
  }, 120_000);
});
