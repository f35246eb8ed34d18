import type { Endpoint } from './rpc';

/** The global scope inside a Web Worker, as the RPC layer's endpoint. */
export function workerScope(): Endpoint {
  return {
    postMessage: (message, transfer) => globalThis.postMessage(message, { transfer: transfer ?? [] }),
    addEventListener: (type, listener) => globalThis.addEventListener(type, listener),
    removeEventListener: (type, listener) => globalThis.removeEventListener(type, listener),
  };
}
