import type { Handlers } from '../core/rpc/rpc';
import type { SandboxProtocol } from './protocol';
import { PythonRunner, removeNetworkGlobals, type PyodideLike } from './python-runner';

/**
 * The sandbox worker's handlers, the same in a browser Web Worker and a Node worker thread:
 * Python is loaded on first use (with an empty `js` module), then the worker's network
 * globals are removed before any user code runs.
 */
export function sandboxHandlers(loadPython: () => Promise<PyodideLike>, scope: object): Handlers<SandboxProtocol> {
  let runner: Promise<PythonRunner> | undefined;
  const ready = () => {
    runner ??= loadPython().then((py) => {
      removeNetworkGlobals(scope);
      return new PythonRunner(py);
    });
    return runner;
  };
  return {
    async run(request) {
      return (await ready()).run(request);
    },
    async endSession({ session }) {
      (await ready()).endSession(session);
      return null;
    },
    async warmUp() {
      return { version: (await ready()).version };
    },
  };
}
