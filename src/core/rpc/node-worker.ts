/** Node worker threads seen through the Web Worker interfaces the typed RPC layer uses (CLI, scripts, tests). */
import { parentPort, type TransferListItem, Worker } from 'node:worker_threads';
import type { Endpoint, RpcMessage } from './rpc';
import type { WorkerErrorEvent, WorkerLike } from './worker-client';

/** A worker thread running the TypeScript module `entry`, as a WorkerLike. */
export function nodeWorker(entry: URL): WorkerLike {
  const worker = new Worker(new URL('./tsx-worker.mjs', import.meta.url), { workerData: { entry: entry.href } });
  worker.unref();
  const messageListeners = new Map<(event: MessageEvent) => void, (data: unknown) => void>();
  function addEventListener(type: 'message' | 'messageerror', listener: (event: MessageEvent) => void): void;
  function addEventListener(type: 'error', listener: (event: WorkerErrorEvent) => void): void;
  function addEventListener(
    type: string,
    listener: ((event: MessageEvent) => void) | ((event: WorkerErrorEvent) => void),
  ): void {
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
    // Ports in `transfer` move to the thread (how the playground's workers are wired to each other).
    // Node's MessagePorts and ArrayBuffers are both; the DOM and Node name the type differently.
    postMessage: (message: RpcMessage, transfer?: Transferable[]) =>
      worker.postMessage(message, transfer as TransferListItem[] | undefined),
    addEventListener,
    removeEventListener: (_type: 'message', listener: (event: MessageEvent) => void) => {
      const wrapped = messageListeners.get(listener);
      if (wrapped) worker.off('message', wrapped);
    },
    terminate: () => void worker.terminate(),
  };
}

/** Inside a worker thread: the port to the parent as an RPC endpoint. */
export function parentEndpoint(): Endpoint {
  if (parentPort === null) throw new Error('parentEndpoint must be called in a worker thread');
  const port = parentPort;
  const listeners = new Map<(event: MessageEvent) => void, (data: unknown) => void>();
  return {
    postMessage: (message: RpcMessage) => port.postMessage(message),
    addEventListener: (_type, listener) => {
      const wrapped = (data: unknown) => listener(new MessageEvent('message', { data }));
      listeners.set(listener, wrapped);
      port.on('message', wrapped);
    },
    removeEventListener: (_type, listener) => {
      const wrapped = listeners.get(listener);
      if (wrapped) port.off('message', wrapped);
    },
  };
}
