import type { Handlers } from '../core/rpc/rpc';
import type { SandboxProtocol } from './protocol';
import { PythonRunner, removeNetworkGlobals, type PyodideLike } from './python-runner';
import { capMemoryGrowth, lockCodeGeneration } from './worker-hardening';

/**
 * The sandbox worker's handlers, the same in a browser Web Worker and a Node worker thread:
 * Python is loaded on first use (with an empty `js` module), then the worker's network
 * globals and function constructors are removed before any user code runs. Only for the
 * sandbox's own worker: it changes the worker's global prototypes.
 */
export function sandboxHandlers(loadPython: () => Promise<PyodideLike>, scope: object): Handlers<SandboxProtocol> {
  const memory = capMemoryGrowth();
  let runner: Promise<PythonRunner> | undefined;
  const ready = () => {
    runner ??= loadPython().then((py) => {
      removeNetworkGlobals(scope);
      lockCodeGeneration();
      return new PythonRunner(py, memory);
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
