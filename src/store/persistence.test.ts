import { describe, expect, it } from 'vitest';
import { memoryCheckpointStore } from './training/checkpoints';
import { defaultTrainingSettings } from '../agent/training/settings';
import { persistStore, type KeyValueStore } from './persistence';
import type { StoreServices } from './app-store';
import { createAppStore } from './store';
import type { UpdateMetrics } from '../agent/update';
import { fakeModelCache } from '../../tests/support/fake-model-cache';

const metrics = (update: number): UpdateMetrics => ({
  update,
  method: 'sod',
  trajectories: 4,
  loss: 0.1 * update,
  gradNorm: 1,
  optimizerSteps: 1,
  ppoSteps: [],
  meanReward: 0,
  accuracy: 0.5,
  clipFraction: 0,
  approxKl: 0,
  generatedTokens: 100,
  tokensPerSecond: 50,
  seconds: { rollout: 1, score: 1, train: 1, total: 3 },
});

const services: StoreServices = {
  client: () => {
    throw new Error('no workers in this test');
  },
  hasWebGpu: () => false,
  modelCache: fakeModelCache(),
  resolveUrl: (p) => p,
  checkpoints: memoryCheckpointStore(),
};

function memoryStore(): KeyValueStore & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return { data, get: async (k) => data.get(k), set: async (k, v) => void data.set(k, v) };
}

const sample = JSON.stringify({
  task_id: 'a',
  mask: [1, 1, 0, 1],
  student_logprobs: [-1, -1, -2, -1],
  teacher_logprobs: [-1.5, -1, -9, -1],
});

describe('persistStore', () => {
  it('restores runs, settings and the inspector’s file in a new page; an active run comes back stopped', async () => {
    const kv = memoryStore();
    const first = createAppStore(services);
    const stop = await persistStore(first, kv, { delayMs: 0 });
    first.getState().setTrainingSettings({ learningRate: 0.0042 });
    first.getState().loadText(`${sample}\n${sample}`, 'mine.jsonl');
    first.getState().select(1);
    first.getState().setSetting('delta', '0.7');
    first.setState({
      runs: [
        {
          id: 'r1',
          label: 'SOD #1',
          settings: defaultTrainingSettings,
          status: 'done',
          metrics: [metrics(1), metrics(2)],
          evaluation: {},
          curve: [{ update: 0, accuracy: 0.5, correct: 1, n: 2 }],
        },
        {
          id: 'r2',
          label: 'OPD #2',
          settings: defaultTrainingSettings,
          status: 'running',
          metrics: [metrics(1)],
          evaluation: {},
          curve: [],
        },
      ],
    });
    stop();

    const second = createAppStore(services);
    await persistStore(second, kv);
    const s = second.getState();
    expect(s.trainingSettings.learningRate).toBe(0.0042);
    expect(s.runs.map((r) => [r.label, r.status, r.metrics.length])).toEqual([
      ['SOD #1', 'done', 2],
      ['OPD #2', 'stopped', 1],
    ]);
    expect(s.runs[1].error).toMatch(/page was closed/);
    expect(s.runs[0].curve).toEqual([{ update: 0, accuracy: 0.5, correct: 1, n: 2 }]);
    expect(s.trajectories).toHaveLength(2);
    expect(s.selected).toBe(1);
    expect(s.settings.delta).toBe('0.7');
  });

  it('restores runs and settings saved before the held-out curve and PPO settings existed', async () => {
    // What this version saved before `curve`, `ppoEpochs`, `ppoMiniBatchSize` and `evalEvery` were added.
    const { ppoEpochs, ppoMiniBatchSize, evalEvery, ...olderSettings } = { ...defaultTrainingSettings, updates: 7 };
    const olderRun = {
      id: 'r1',
      label: 'SOD #1',
      settings: { ...olderSettings, promptsPerUpdate: 4 },
      status: 'done',
      metrics: [metrics(1)],
      evaluation: {},
    };
    const kv = memoryStore();
    kv.data.set(
      'sodp-playground-state',
      JSON.stringify({
        version: 1,
        state: { trainingSettings: olderSettings, runs: [olderRun], runTrajectories: { r1: [] } },
      }),
    );
    const messages: string[] = [];
    const store = createAppStore(services);
    await persistStore(store, kv, { onError: (m) => messages.push(m) });
    expect(messages).toEqual([]);
    const s = store.getState();
    expect(s.trainingSettings).toEqual({ ...defaultTrainingSettings, updates: 7 });
    expect(s.trainingSettings).toMatchObject({ ppoEpochs, ppoMiniBatchSize, evalEvery });
    const [run] = s.runs;
    expect(run.curve).toEqual([]);
    expect(run.metrics).toHaveLength(1);
    // That run took one optimizer step over its whole batch and evaluated only before and after.
    expect(run.settings).toMatchObject({ promptsPerUpdate: 4, ppoEpochs: 1, ppoMiniBatchSize: 4, evalEvery: 0 });
  });

  it('keeps state it cannot read under a backup key and says so, without throwing', async () => {
    const kv = memoryStore();
    kv.data.set('sodp-playground-state', '{"version": 99, "state": {}}');
    const messages: string[] = [];
    const store = createAppStore(services);
    await persistStore(store, kv, { onError: (m) => messages.push(m) });
    expect(messages[0]).toMatch(/unknown format \(version 99\)/);
    expect(kv.data.get('sodp-playground-state-backup')).toBe('{"version": 99, "state": {}}');
    expect(store.getState().runs).toEqual([]);
  });

  it('does not write while only live, unsaved parts change', async () => {
    const kv = memoryStore();
    const store = createAppStore(services);
    await persistStore(store, kv, { delayMs: 0 });
    store.setState({ live: [], trainingActivity: 'update 1 of 5' });
    await new Promise((r) => setTimeout(r, 10));
    expect(kv.data.size).toBe(0);
    store.getState().setExplain(true);
    await new Promise((r) => setTimeout(r, 10));
    expect(JSON.parse(kv.data.get('sodp-playground-state') ?? '{}').state.explain).toBe(true);
  });
});
