import { describe, expect, it } from 'vitest';
import { fakeModelCache } from '../../../tests/support/fake-model-cache';
import { encodeCheckpoint, makeCheckpoint } from '../../agent/training/checkpoint';
import { defaultTrainingSettings } from '../../agent/training/settings';
import type { Task } from '../../agent/tasks/task';
import type { UpdateMetrics } from '../../agent/update';
import { trainingOrder } from '../../agent/update';
import type { Qwen3Config } from '../../engine/config';
import { loraLayout } from '../../engine/lora';
import { allLoraTargets } from '../../engine/params';
import { importPeft } from '../../engine/peft';
import { defaultAdamW } from '../../engine/train';
import { unzipFiles } from '../../models/zip';
import type { PlaygroundTrajectory } from '../../workers/protocols';
import type { StoreServices } from '../app-store';
import { createAppStore } from '../store';
import { memoryCheckpointStore, type StoredCheckpoint } from './checkpoints';
import type { TrainingRun } from './types';

const config: Qwen3Config = {
  hiddenSize: 16,
  intermediateSize: 32,
  numLayers: 2,
  numHeads: 2,
  numKvHeads: 1,
  headDim: 8,
  vocabSize: 50,
  rmsNormEps: 1e-6,
  ropeTheta: 1e6,
  tieWordEmbeddings: true,
  maxPositionEmbeddings: 128,
  torchDtype: 'float32',
};
const settings = { ...defaultTrainingSettings, updates: 3, promptsPerUpdate: 1, groupSize: 2, loraRank: 2 };
const layout = loraLayout(config, { rank: 2, alpha: 4, targets: allLoraTargets });
const values = (k: number) => Float32Array.from({ length: layout.size }, (_, i) => Math.cos(i * k) / 7);
const tasks: Task[] = Array.from({ length: 5 }, (_, i) => ({
  id: `t${i}`,
  question: `q${i}`,
  answer: `${i}`,
  source: 's',
}));

function trajectory(update: number, i: number): PlaygroundTrajectory {
  return {
    task_id: `t${i}`,
    group: `${update}:t${i}`,
    question: `q${i}`,
    reference_answer: `${i}`,
    prompt_ids: [1, 2, 3],
    response_ids: [4, 5 + i],
    mask: [1, 1],
    student_logprobs: [-0.5, -1.25 * update],
    teacher_logprobs: [-0.25, -2],
    turn_spans: [{ start: 0, end: 2 }],
    tool_calls: [],
    answer: null,
    correct: false,
    reward: -1,
    turns: 2,
    stop_reason: 'answer',
    text: 'ab',
    timings: { generate_ms: 1.5, tool_ms: 0, total_ms: 1.5 },
    tokens: ['a', 'b'],
  };
}

const metrics = (update: number): UpdateMetrics => ({
  update,
  method: 'sod',
  trajectories: 2,
  loss: 0.1 * update,
  gradNorm: 1,
  optimizerSteps: 1,
  ppoSteps: [{ epoch: 1, loss: 0.1 * update, gradNorm: 1, tokens: 4, clipFraction: 0, approxKl: 0 }],
  meanReward: -0.5 + 0.1 * update,
  accuracy: 0.25,
  clipFraction: 0,
  approxKl: 0.001,
  generatedTokens: 4,
  tokensPerSecond: 250,
  seconds: { rollout: 4, score: 1, train: 2, total: 7 },
});

function services(): StoreServices & { checkpoints: ReturnType<typeof memoryCheckpointStore> } {
  return {
    client: () => {
      throw new Error('no workers in this test');
    },
    hasWebGpu: () => false,
    resolveUrl: (p) => p,
    modelCache: fakeModelCache(),
    checkpoints: memoryCheckpointStore(),
  };
}

describe('a run exported to one ZIP and imported again', () => {
  it('comes back identical: record, metrics, trajectories, checkpoint bytes; and exports to the same bytes', async () => {
    const first = services();
    const store = createAppStore(first);
    const run: TrainingRun = {
      id: 'run-1-1',
      label: 'SOD #1',
      settings,
      status: 'stopped',
      metrics: [metrics(1), metrics(2)],
      evaluation: {
        before: { n: 1, correct: 0, accuracy: 0, mean_reward: -1, mean_tool_calls: 0.5, stop_reasons: { answer: 1 } },
      },
      curve: [{ update: 0, accuracy: 0, correct: 0, n: 1 }],
      error: 'the page was closed during this run',
      checkpoint: 2,
    };
    const trajectories = [1, 1, 2, 2].map((u, i) => trajectory(u, i));
    const checkpoint = makeCheckpoint({
      update: 2,
      settings,
      adapter: { rank: 2, alpha: 4, targets: allLoraTargets },
      sampling: { topP: 1, topK: 0 },
      optimizer: { settings: defaultAdamW, state: { step: 2, m: values(2), v: values(3) } },
      lora: values(1),
      student: {
        name: 'tiny',
        layers: 2,
        hiddenSize: 16,
        intermediateSize: 32,
        numHeads: 2,
        numKvHeads: 1,
        headDim: 8,
        vocabSize: 50,
      },
      order: trainingOrder(tasks, 0),
      tasks,
      inputs: { student: 'tiny' },
    });
    const { metrics: runMetrics, ...rest } = run;
    const head: StoredCheckpoint = {
      runId: run.id,
      update: 2,
      files: encodeCheckpoint(checkpoint),
      run: {
        id: rest.id,
        label: rest.label,
        settings,
        metrics: runMetrics,
        evaluation: rest.evaluation,
        curve: rest.curve,
      },
    };
    await first.checkpoints.save(
      head,
      new Map([
        [1, trajectories.slice(0, 2)],
        [2, trajectories.slice(2)],
      ]),
    );
    store.setState({ runs: [run], runTrajectories: { [run.id]: trajectories } });

    const zip = await store.getState().runArchive(run.id);
    const paths = unzipFiles(zip).map((f) => f.path);
    expect(paths).toEqual([
      'run.json',
      'metrics.jsonl',
      'trajectories.jsonl',
      'adapter/adapter_config.json',
      'adapter/adapter_model.safetensors',
      'checkpoint/checkpoint.json',
      'checkpoint/update-000002.safetensors',
      'checkpoint/run.json',
    ]);
    // The adapter folder is the checkpoint's adapter, as PEFT reads it.
    const file = (path: string) => unzipFiles(zip).find((f) => f.path === path)?.data ?? new Uint8Array(0);
    const adapter = await importPeft(
      JSON.parse(new TextDecoder().decode(file('adapter/adapter_config.json'))),
      file('adapter/adapter_model.safetensors'),
      config,
    );
    // Every A and B as trained (the layout's padding between them is not part of a PEFT file).
    for (const slot of layout.slots)
      for (const [at, n] of [
        [slot.aOffset, 2 * slot.inDim],
        [slot.bOffset, 2 * slot.outDim],
      ])
        expect(adapter.params.subarray(at, at + n)).toEqual(values(1).subarray(at, at + n));

    const second = services();
    const other = createAppStore(second);
    await other.getState().importRun(zip, 'sod-1-run.zip');
    expect(other.getState().trainingError).toBeUndefined();
    expect(other.getState().runs).toEqual([run]);
    expect(other.getState().runTrajectories[run.id]).toEqual(trajectories);
    expect(await second.checkpoints.load(run.id)).toEqual(head);
    expect(await second.checkpoints.trajectories(run.id, 2)).toEqual(trajectories.slice(2));
    expect(Buffer.from(await other.getState().runArchive(run.id)).equals(Buffer.from(zip))).toBe(true);

    // Imported again into the same page, it is a second run.
    await other.getState().importRun(zip, 'sod-1-run.zip');
    expect(other.getState().runs.map((r) => r.label)).toEqual(['SOD #1', 'SOD #1']);
    expect(other.getState().runs[1].id).not.toBe(run.id);

    const damaged = zip.slice();
    damaged[60] ^= 0xff;
    await other.getState().importRun(damaged, 'broken.zip');
    expect(other.getState().trainingError).toMatch(
      /^broken\.zip could not be imported: broken\.zip: run\.json: its CRC/,
    );
  });
});
