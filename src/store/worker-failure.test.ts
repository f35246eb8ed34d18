import { describe, expect, it } from 'vitest';
import { memoryCheckpointStore } from './training/checkpoints';
import { WorkerCrashedError } from '../core/rpc/rpc';
import type { StoreServices } from './app-store';
import { createAppStore } from './store';
import { fakeModelCache } from '../../tests/support/fake-model-cache';
import { loadedModel } from '../../tests/support/loaded-model';

const loaded = loadedModel();

/** Services whose student worker dies on the first rollout. */
function crashingServices(): StoreServices {
  const crash = () => Promise.reject(new WorkerCrashedError('the student engine worker crashed: out of memory'));
  const client = {
    student: { call: crash },
    teacher: { call: crash },
    ready: async () => {},
    tasks: async () => [{ id: 't1', question: 'What is 1 + 1?', answer: '2', source: 'test' }],
  };
  return {
    client: () => client,
    hasWebGpu: () => false,
    resolveUrl: (p) => p,
    modelCache: fakeModelCache(),
    checkpoints: memoryCheckpointStore(),
  };
}

describe('a worker that dies during a call', () => {
  it('fails the rollout with the crash message and marks only the student as needing a reload', async () => {
    const store = createAppStore(crashingServices());
    store.setState({
      student: { presetId: 'demo-student', status: 'ready', loaded },
      teacher: { presetId: 'demo-teacher', status: 'ready', loaded },
    });
    await store.getState().runRollouts();
    const s = store.getState();
    expect(s.rolloutError).toBe('the student engine worker crashed: out of memory');
    expect(s.rolloutStatus).toBe('idle');
    expect(s.student.status).toBe('failed');
    expect(s.student.error).toMatch(/load the models again/);
    expect(s.teacher.status).toBe('ready');
  });

  it('fails a training run the same way, keeping the run and its message', async () => {
    const store = createAppStore(crashingServices());
    store.setState({
      student: { presetId: 'demo-student', status: 'ready', loaded },
      teacher: { presetId: 'demo-teacher', status: 'ready', loaded },
    });
    await store.getState().startRun();
    const [run] = store.getState().runs;
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/student engine worker crashed/);
    expect(store.getState().student.status).toBe('failed');
  });
});
