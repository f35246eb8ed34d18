import { createRequire, syncBuiltinESMExports } from 'node:module';
import { dirname } from 'node:path';
import { loadPyodide } from 'pyodide';
import { parentEndpoint } from '../core/rpc/node-worker';
import { serve } from '../core/rpc/rpc';
import { sandboxHandlers } from './worker-handlers';

const require = createRequire(import.meta.url);
const indexURL = dirname(require.resolve('pyodide/package.json')) + '/';

// In Node, Emscripten's system() runs a shell on the host through node:child_process, and
// Python reaches it past the sandbox's os.system (ctypes calls libc's system()). This
// thread's copy of the module refuses everything instead; other threads keep theirs.
const childProcess: object = require('node:child_process');
for (const name of Object.keys(childProcess))
  if (typeof Reflect.get(childProcess, name) === 'function')
    Reflect.set(childProcess, name, () => {
      throw new Error('the Python sandbox cannot start processes');
    });
syncBuiltinESMExports();

serve(
  parentEndpoint(),
  sandboxHandlers(() => loadPyodide({ indexURL, jsglobals: Object.create(null) }), globalThis),
);
