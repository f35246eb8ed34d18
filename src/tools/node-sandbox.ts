/** The Python sandbox in Node (CLI and tests): the same handlers in a worker thread. */
import { Worker } from 'node:worker_threads';
import type { RpcMessage } from '../workers/rpc';
import type { WorkerErrorEvent, WorkerLike } from '../workers/worker-client';
import { PythonSandbox, type SandboxSettings } from './sandbox';

/** A worker_threads Worker seen through the Web Worker interface the sandbox client uses. */
export function nodeSandboxWorker(): WorkerLike {
  const worker = new Worker(new URL('./node-worker.mjs', import.meta.url));
  worker.unref();
  const messageListeners = new Map<(event: MessageEvent) => void, (data: unknown) => void>();
  function addEventListener(type: 'message' | 'messageerror', listener: (event: MessageEvent) => void): void;
  function addEventListener(type: 'error', listener: (event: WorkerErrorEvent) => void): void;
  function addEventListener(type: string, listener: ((event: MessageEvent) => void) | ((event: WorkerErrorEvent) => void)): void {
    if (type === 'error') {
      const onError = listener as (event: WorkerErrorEvent) => void;
      worker.on('error', (err: Error) => onError({ message: err.message }));
      worker.on('exit', (code) => {
        if (code !== 0) onError({ message: `the worker exited with code ${code}` });
      });
    } else if (type === 'message') {
      const onMessage = listener as (event: MessageEvent) => void;
      const wrapped = (data: unknown) => onMessage(new MessageEvent('message', { data }));
      messageListeners.set(onMessage, wrapped);
      worker.on('message', wrapped);
    }
  }
  return {
    postMessage: (message: RpcMessage) => worker.postMessage(message),
    addEventListener,
    removeEventListener: (_type: 'message', listener: (event: MessageEvent) => void) => {
      const wrapped = messageListeners.get(listener);
      if (wrapped) worker.off('message', wrapped);
    },
    terminate: () => void worker.terminate(),
  };
}

export function createNodeSandbox(settings: Partial<SandboxSettings> = {}): PythonSandbox {
  return new PythonSandbox(nodeSandboxWorker, settings);
}
