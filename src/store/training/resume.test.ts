import { afterAll, describe, expect, it } from 'vitest';
import { inThreadServices } from '../../../tests/support/in-thread-playground';
import { withoutWallClock } from '../../../tests/support/without-wall-clock';
import type { TrainingSettings } from '../../agent/training/settings';
import { WorkerCrashedError } from '../../core/rpc/rpc';
import { decodeCheckpoint } from '../../agent/training/checkpoint';
import type { AppStore } from '../app-store';
import { persistStore, type KeyValueStore } from '../persistence';
import { createAppStore } from '../store';
import { memoryCheckpointStore } from './checkpoints';

/** 3 tiny SOD updates of the demo pair on the CPU, evaluated on 1 problem before, after update 2 and at the end. */
const settings: Partial<TrainingSettings> = {
  updates: 3,
  promptsPerUpdate: 1,
  groupSize: 2,
  maxTokens: 40,
  maxTurns: 2,
  evalProblems: 1,
  evalEvery: 2,
  learningRate: 1e-3,
};

type Store = ReturnType<typeof createAppStore>;

/** What must come out the same: every number of the run but wall-clock times. */
function record(store: Store, id: string) {
  const run = store.getState().runs.find((r) => r.id === id);
  if (run === undefined) throw new Error(`no run ${id}`);
  return {
    status: run.status,
    metrics: withoutWallClock(run.metrics),
    curve: run.curve,
    evaluation: run.evaluation,
    trajectories: withoutWallClock(store.getState().runTrajectories[id]),
  };
}

function until(store: Store, ok: (s: AppStore) => boolean): Promise<void> {
  return new Promise((resolve) => {
    if (ok(store.getState())) return resolve();
    const unsubscribe = store.subscribe((s) => {
      if (ok(s)) {
        unsubscribe();
        resolve();
      }
    });
  });
}

function memoryKv(): KeyValueStore {
  const data = new Map<string, string>();
  return { get: async (k) => data.get(k), set: async (k, v) => void data.set(k, v) };
}

async function loaded(services: ReturnType<typeof inThreadServices>): Promise<Store> {
  const store = createAppStore(services);
  await store.getState().loadModels();
  store.getState().setTrainingSettings(settings);
  return store;
}

describe('a page run resumed from its checkpoint (CPU, demo pair, in-thread workers)', () => {
  const disposers: (() => void)[] = [];
  afterAll(() => {
    for (const d of disposers) d();
  });
  let whole: ReturnType<typeof record>;
  const checkpoints = memoryCheckpointStore();
  const kv = memoryKv();
  let id = '';

  it('an uninterrupted run', async () => {
    const services = inThreadServices();
    disposers.push(() => services.dispose());
    const store = await loaded(services);
    await store.getState().startRun();
    const run = store.getState().runs[0];
    expect(run.error).toBeUndefined();
    whole = record(store, run.id);
    expect(whole.status).toBe('done');
    expect(run.metrics.map((m) => m.update)).toEqual([1, 2, 3]);
    expect(run.checkpoint).toBe(3);
  }, 60_000);

  it('the student worker crashes in update 2; after loading the models again the run resumes from update 1 and ends the same', async () => {
    let crash = true;
    const services = inThreadServices(checkpoints, {
      student: (handlers) => ({
        ...handlers,
        async update(request, context) {
          if (request.update === 2 && crash) {
            crash = false;
            throw new WorkerCrashedError('the student engine worker crashed: out of memory');
          }
          return handlers.update(request, context);
        },
      }),
    });
    disposers.push(() => services.dispose());
    const store = await loaded(services);
    const stopSaving = await persistStore(store, kv, { delayMs: 0 });
    disposers.push(stopSaving);
    await store.getState().startRun();
    const [failed] = store.getState().runs;
    id = failed.id;
    expect(failed).toMatchObject({ status: 'failed', checkpoint: 1 });
    expect(failed.metrics).toHaveLength(1);
    expect(store.getState().student.status).toBe('failed');

    await store.getState().loadModels();
    // The worker refuses a checkpoint of another student, naming the field, and keeps its adapter.
    const stored = await checkpoints.load(id);
    if (stored === undefined) throw new Error('no checkpoint saved');
    const checkpoint = await decodeCheckpoint(stored.files.json, 'saved', async () => stored.files.tensors);
    const restore = {
      adapter: { rank: 8, alpha: 16, learningRate: 1e-3, seed: 0 },
      student: { ...checkpoint.student, hiddenSize: 256 },
      lora: checkpoint.tensors.lora,
      optimizer: { step: checkpoint.optimizer.step, m: checkpoint.tensors.m, v: checkpoint.tensors.v },
      where: 'the checkpoint of SOD #1',
    };
    await expect(services.client().student.call('restoreAdapter', restore)).rejects.toThrow(
      'the checkpoint of SOD #1: student.hiddenSize is 256 but the student loaded has 128',
    );
    await store.getState().resumeFromCheckpoint(id);
    expect(record(store, id)).toEqual(whole);
  }, 60_000);

  it('after a reload the run comes back stopped, offers its checkpoint and resumes from it to the same end', async () => {
    const stored = memoryCheckpointStore();
    const saved = memoryKv();
    const before = inThreadServices(stored);
    disposers.push(() => before.dispose());
    const page = await loaded(before);
    const stopSaving = await persistStore(page, saved, { delayMs: 0 });
    const running = page.getState().startRun();
    // The page is closed once update 1's checkpoint is saved, in the middle of update 2.
    await until(page, (s) => s.runs[0]?.checkpoint === 1);
    const runId = page.getState().runs[0].id;
    page.getState().stopRun();
    await running;
    stopSaving();

    // Its saved state is gone, its checkpoint is not: the run comes back from the checkpoint alone.
    const bareServices = inThreadServices(stored);
    disposers.push(() => bareServices.dispose());
    const bare = createAppStore(bareServices);
    await bare.getState().refreshCheckpoints();
    expect(bare.getState().runs.map((r) => [r.id, r.status, r.checkpoint, r.metrics.length])).toEqual([
      [runId, 'stopped', 1, 1],
    ]);

    const services = inThreadServices(stored);
    disposers.push(() => services.dispose());
    const store = createAppStore(services);
    await persistStore(store, saved, { delayMs: 0 });
    expect(store.getState().runs[0]).toMatchObject({ id: runId, status: 'stopped' });
    await store.getState().refreshCheckpoints();
    expect(store.getState().runs[0].checkpoint).toBe(1);
    await store.getState().loadModels();
    store.getState().setTrainingSettings({ ...settings, learningRate: 0.5 }); // the form's settings do not matter
    await store.getState().resumeFromCheckpoint(runId);
    expect(record(store, runId)).toEqual(whole);
    expect(store.getState().runs[0].checkpoint).toBe(3);
  }, 60_000);

  it('a full disk while checkpointing: the run goes on, keeps the checkpoint before, says what to delete, and stores what it missed later', async () => {
    const stored = memoryCheckpointStore();
    const services = inThreadServices(stored);
    disposers.push(() => services.dispose());
    const store = await loaded(services);
    store.getState().setTrainingSettings({ evalProblems: 0 });
    const running = store.getState().startRun();
    await until(store, (s) => s.runs[0]?.checkpoint === 1);
    // Room for nothing more: update 2's checkpoint is refused as a whole.
    stored.setQuota(stored.usedBytes());
    await until(store, (s) => s.runs[0]?.checkpointError !== undefined);
    const [run] = store.getState().runs;
    expect(run.checkpoint).toBe(1);
    expect(run.checkpointError).toMatch(
      /^This browser's storage is full: the checkpoint of SOD #1 after update 2 \(about .+\) was not saved/,
    );
    expect(run.checkpointError).toContain('Its checkpoint after update 1 is kept');
    expect(run.checkpointError).toContain('remove runs you no longer need');
    expect((await stored.load(run.id))?.update).toBe(1);
    expect(await stored.trajectories(run.id, 2)).toBeUndefined();
    // Room again: update 3's checkpoint brings update 2's trajectories with it.
    stored.setQuota(undefined);
    await running;
    const done = store.getState().runs[0];
    expect(done).toMatchObject({ status: 'done', checkpoint: 3, checkpointError: undefined });
    expect(done.metrics.map((m) => m.update)).toEqual([1, 2, 3]);
    expect(await stored.trajectories(run.id, 2)).toHaveLength(2);
    expect(await stored.trajectories(run.id, 3)).toHaveLength(2);
  }, 60_000);
});
