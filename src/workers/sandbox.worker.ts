/** Entry point of the Python sandbox's Web Worker: Pyodide served by the app at pyodide/. */
import { loadPyodide } from 'pyodide';
import { sandboxHandlers } from '../tools/worker-handlers';
import { serve } from '../core/rpc/rpc';
import { workerScope } from '../core/rpc/worker-scope';

// The dev server's base is absolute ('/'); the build's is relative ('./'), and puts this worker's
// file in assets/, one level below the folder that holds pyodide/.
const base = import.meta.env.BASE_URL;
const indexURL = base.startsWith('/')
  ? new URL(`${base}pyodide/`, globalThis.location.href).href
  : new URL('../pyodide/', import.meta.url).href;
// Pyodide's fatal errors (a stack overflow from deep recursion) reject promises nobody awaits,
// which a browser worker survives, its interpreter dead and the call hanging until the time
// limit. Thrown from here, one reaches the page as the worker's error: replaced at once.
globalThis.addEventListener('unhandledrejection', (event) => {
  throw event.reason;
});
serve(
  workerScope(),
  sandboxHandlers(() => loadPyodide({ indexURL, jsglobals: Object.create(null) }), globalThis),
);
