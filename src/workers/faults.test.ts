import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { gpuAvailable } from '../../tests/support/gpu';
import { parseTasks } from '../agent/tasks/task';
import { defaultTrainingSettings, trainingPlan } from '../agent/training/settings';
import { localClient, serve } from '../core/rpc/rpc';
import { folderFiles } from '../engine/node-files';
import { nodeGpu } from '../engine/webgpu/node-gpu';
import { createNodeSandbox } from '../tools/node-sandbox';
import { connectWorkers } from './connect';
import type { WorkerEnvironment } from './engine-host';
import type { ScorerProtocol, TeacherProtocol } from './protocols';
import { studentHandlers } from './student-handlers';
import { teacherHandlers } from './teacher-handlers';

const models = new URL('../../public/models/', import.meta.url).pathname;
const tasks = parseTasks(readFileSync(new URL('../../public/tasks/arithmetic-test.jsonl', import.meta.url), 'utf8'));
const sampling = { temperature: 1, topP: 1, topK: 0, seed: 3, maxNewTokens: 12, stopTokenIds: [], stopStrings: [] };
const settings = {
  ...trainingPlan(defaultTrainingSettings, []).update,
  groupSize: 2,
  sampling,
  limits: { maxTurns: 2 },
};

/** `gpu`, but every device it opens is also handed to `opened` (so a test can destroy it as a driver would). */
function capturingGpu(gpu: GPU, opened: (device: GPUDevice) => void): GPU {
  const bind = <T extends object>(target: T, prop: string | symbol): unknown => {
    const value: unknown = Reflect.get(target, prop, target);
    return typeof value === 'function' ? value.bind(target) : value;
  };
  const adapterOf = (adapter: GPUAdapter): GPUAdapter =>
    new Proxy(adapter, {
      get: (target, prop) =>
        prop === 'requestDevice'
          ? async (descriptor?: GPUDeviceDescriptor) => {
              const device = await target.requestDevice(descriptor);
              opened(device);
              return device;
            }
          : bind(target, prop),
    });
  return new Proxy(gpu, {
    get: (target, prop) =>
      prop === 'requestAdapter'
        ? async (options?: GPURequestAdapterOptions) => {
            const adapter = await target.requestAdapter(options);
            return adapter === null ? null : adapterOf(adapter);
          }
        : bind(target, prop),
  });
}

const sandbox = createNodeSandbox();
const connections: (() => void)[] = [];
afterAll(() => {
  for (const disconnect of connections) disconnect();
  sandbox.dispose();
});

/** A worker environment on this process's WebGPU whose devices are kept in `devices`. */
async function watchedGpu(): Promise<{ env: WorkerEnvironment; devices: GPUDevice[] }> {
  const node = await nodeGpu();
  if (node === undefined) throw new Error('no WebGPU in this process');
  const devices: GPUDevice[] = [];
  const gpu = capturingGpu(node, (device) => devices.push(device));
  return { env: { gpu: () => gpu, modelFiles: (source) => folderFiles(source.url) }, devices };
}

describe.skipIf(!gpuAvailable)('faults of the GPU', () => {
  it('ends the update with a message that says so; the reloaded student trains on', async () => {
    const { env, devices } = await watchedGpu();
    const student = localClient(studentHandlers(env));
    const teacher = localClient(teacherHandlers(env));
    connections.push(await connectWorkers(student, teacher, sandbox));
    const load = (backend: 'webgpu' | 'cpu') =>
      student.call('load', { source: { url: `${models}tiny-qwen3-student`, name: 'tiny-qwen3-student' }, backend });
    expect((await load('webgpu')).backend).toBe('webgpu');
    await teacher.call('load', {
      source: { url: `${models}tiny-qwen3-teacher`, name: 'tiny-qwen3-teacher' },
      backend: 'cpu',
    });
    await student.call('newAdapter', { rank: 4, alpha: 8, learningRate: 1e-3, seed: 1 });

    // The first token of the rollouts: the device goes, as a driver reset would take it.
    const update = student.call(
      'update',
      { update: 1, tasks: tasks.slice(0, 1), settings },
      { onProgress: () => devices.at(-1)?.destroy() },
    );
    await expect(update).rejects.toThrow(/The GPU device was lost \(destroyed\).*Reload the models to continue/);
    // Until then, every call says the same rather than computing on a dead device.
    await expect(student.call('newAdapter', { rank: 4, alpha: 8, learningRate: 1e-3, seed: 1 })).rejects.toThrow(
      /GPU device was lost/,
    );

    // Loaded again (here on the CPU: a whole update on SwiftShader takes most of a minute), it trains on.
    expect((await load('cpu')).backend).toBe('cpu');
    await student.call('newAdapter', { rank: 4, alpha: 8, learningRate: 1e-3, seed: 1 });
    const { metrics } = await student.call('update', { update: 1, tasks: tasks.slice(0, 1), settings });
    expect(Number.isFinite(metrics.loss)).toBe(true);
  }, 240_000);

  it('ends a load that runs out of GPU memory with a message that says what to do', async () => {
    const { env, devices } = await watchedGpu();
    const student = localClient(studentHandlers(env));
    // What a browser reports when an allocation fails: an uncaptured out-of-memory error.
    const outOfMemory = () =>
      devices
        .at(-1)
        ?.dispatchEvent(
          new GPUUncapturedErrorEvent('uncapturederror', { error: new GPUOutOfMemoryError('Allocation failed') }),
        );
    const source = { url: `${models}tiny-qwen3-student`, name: 'tiny-qwen3-student' };
    let injected = false;
    const loading = student.call(
      'load',
      { source, backend: 'webgpu' },
      {
        onProgress: (p) => {
          if (p.phase !== 'upload' || injected) return;
          injected = true;
          outOfMemory();
        },
      },
    );
    await expect(loading).rejects.toThrow(/out of GPU memory on .*: load a smaller model.*memory plan/);
    // Loading again, on a device that has the memory, works.
    expect((await student.call('load', { source, backend: 'webgpu' })).backend).toBe('webgpu');
  }, 120_000);
});

describe('a teacher that fails in the middle of a batch', () => {
  it('ends the update with the teacher’s error; the next update runs', async () => {
    const env: WorkerEnvironment = { gpu: () => undefined, modelFiles: (source) => folderFiles(source.url) };
    const handlers = teacherHandlers(env);
    let calls = 0;
    let failing = true;
    // The teacher's scorer as the student reaches it, failing its second call of the batch.
    const teacher = localClient<TeacherProtocol>({
      ...handlers,
      async connect({ port }) {
        serve<ScorerProtocol>(port, {
          score: (request, context) => {
            if (failing && ++calls === 2) throw new Error('the teacher worker ran out of memory');
            return handlers.score(request, context);
          },
          alternatives: (request, context) => handlers.alternatives(request, context),
        });
        port.start();
        return null;
      },
    });
    const student = localClient(studentHandlers(env));
    connections.push(await connectWorkers(student, teacher, sandbox));
    await student.call('load', { source: { url: `${models}tiny-qwen3-student`, name: 'student' }, backend: 'cpu' });
    await teacher.call('load', { source: { url: `${models}tiny-qwen3-teacher`, name: 'teacher' }, backend: 'cpu' });
    await student.call('newAdapter', { rank: 4, alpha: 8, learningRate: 1e-3, seed: 1 });
    const before = await student.call('exportAdapter', null);

    const update = student.call('update', { update: 1, tasks: tasks.slice(0, 1), settings });
    await expect(update).rejects.toThrow(
      /^the teacher could not score a response of \d+ tokens: the teacher worker ran out of memory$/,
    );
    // Nothing was trained on half a batch.
    expect((await student.call('exportAdapter', null)).weights).toEqual(before.weights);

    failing = false;
    const { metrics } = await student.call('update', { update: 1, tasks: tasks.slice(0, 1), settings });
    expect(Number.isFinite(metrics.loss)).toBe(true);
  }, 120_000);
});
