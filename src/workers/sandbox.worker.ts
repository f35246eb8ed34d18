/** Entry point of the Python sandbox's Web Worker: Pyodide served by the app at /pyodide/. */
import { loadPyodide } from 'pyodide';
import { sandboxHandlers } from '../tools/worker-handlers';
import { serve } from '../core/rpc/rpc';
import { workerScope } from '../core/rpc/worker-scope';

const indexURL = new URL(`${import.meta.env.BASE_URL}pyodide/`, globalThis.location.href).href;
serve(
  workerScope(),
  sandboxHandlers(() => loadPyodide({ indexURL, jsglobals: Object.create(null) }), globalThis),
);
