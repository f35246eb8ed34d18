import { readFileSync } from 'node:fs';
import { parseTasks, type Task } from '../../src/agent/tasks/task';
import { folderFiles } from '../../src/engine/node-files';
import type { StoreServices } from '../../src/store/app-store';
import { memoryCheckpointStore, type CheckpointStore } from '../../src/store/training/checkpoints';
import { fakeModelCache } from './fake-model-cache';
import { createNodeSandbox } from '../../src/tools/node-sandbox';
import { connectWorkers } from '../../src/workers/connect';
import type { WorkerEnvironment } from '../../src/workers/engine-host';
import { localClient, type Handlers } from '../../src/core/rpc/rpc';
import type { StudentProtocol } from '../../src/workers/protocols';
import { studentHandlers } from '../../src/workers/student-handlers';
import { teacherHandlers } from '../../src/workers/teacher-handlers';

const publicDir = new URL('../../public/', import.meta.url).pathname;

/**
 * The playground's workers as in-thread handlers on the CPU, with the Node sandbox: the store's services for tests.
 * `checkpoints` may be shared by several (a page reloaded is new services over the same storage).
 */
export function inThreadServices(
  checkpoints: CheckpointStore = memoryCheckpointStore(),
  options: { student?: (handlers: Handlers<StudentProtocol>) => Handlers<StudentProtocol> } = {},
): StoreServices & { dispose(): void } {
  const env: WorkerEnvironment = { gpu: () => undefined, modelFiles: (source) => folderFiles(source.url) };
  const sandbox = createNodeSandbox();
  const handlers = studentHandlers(env);
  const student = localClient(options.student?.(handlers) ?? handlers);
  const teacher = localClient(teacherHandlers(env));
  let connected: Promise<() => void> | undefined;
  const tasks = async (file: string): Promise<Task[]> =>
    parseTasks(readFileSync(`${publicDir}tasks/${file}`, 'utf8'), file);
  const client = {
    student,
    teacher,
    tasks,
    async ready() {
      await (connected ??= connectWorkers(student, teacher, sandbox));
    },
  };
  return {
    client: () => client,
    hasWebGpu: () => false,
    modelCache: fakeModelCache(),
    checkpoints,
    resolveUrl: (path) => publicDir + path,
    dispose() {
      void connected?.then((stop) => stop());
      sandbox.dispose();
    },
  };
}
