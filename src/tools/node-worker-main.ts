import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { parentPort } from 'node:worker_threads';
import { loadPyodide } from 'pyodide';
import { serve, type Endpoint, type RpcMessage } from '../workers/rpc';
import { sandboxHandlers } from './worker-handlers';

if (parentPort === null) throw new Error('node-worker-main must run in a worker thread');
const port = parentPort;
const listeners = new Map<(event: MessageEvent) => void, (data: unknown) => void>();
const endpoint: Endpoint = {
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

const indexURL = dirname(createRequire(import.meta.url).resolve('pyodide/package.json')) + '/';
serve(endpoint, sandboxHandlers(() => loadPyodide({ indexURL, jsglobals: Object.create(null) }), globalThis));
