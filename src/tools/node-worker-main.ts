import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { loadPyodide } from 'pyodide';
import { parentEndpoint } from '../core/rpc/node-worker';
import { serve } from '../core/rpc/rpc';
import { sandboxHandlers } from './worker-handlers';

const indexURL = dirname(createRequire(import.meta.url).resolve('pyodide/package.json')) + '/';
serve(
  parentEndpoint(),
  sandboxHandlers(() => loadPyodide({ indexURL, jsglobals: Object.create(null) }), globalThis),
);
