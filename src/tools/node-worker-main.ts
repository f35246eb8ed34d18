import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { loadPyodide } from 'pyodide';
import { parentEndpoint } from '../workers/node-worker';
import { serve } from '../workers/rpc';
import { sandboxHandlers } from './worker-handlers';

const indexURL = dirname(createRequire(import.meta.url).resolve('pyodide/package.json')) + '/';
serve(
  parentEndpoint(),
  sandboxHandlers(() => loadPyodide({ indexURL, jsglobals: Object.create(null) }), globalThis),
);
