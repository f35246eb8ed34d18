/** The Python sandbox in Node (CLI and tests): the same handlers in a worker thread. */
import { nodeWorker } from '../core/rpc/node-worker';
import type { WorkerLike } from '../core/rpc/worker-client';
import { PythonSandbox, type SandboxSettings } from './sandbox';

export function nodeSandboxWorker(): WorkerLike {
  return nodeWorker(new URL('./node-worker-main.ts', import.meta.url));
}

export function createNodeSandbox(settings: Partial<SandboxSettings> = {}): PythonSandbox {
  return new PythonSandbox(nodeSandboxWorker, settings);
}
