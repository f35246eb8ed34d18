/** The student engine worker's handlers in a Node worker thread. */
import { parentEndpoint } from '../../src/core/rpc/node-worker';
import { serve } from '../../src/core/rpc/rpc';
import { studentHandlers } from '../../src/workers/student-handlers';
import { folderEnvironment } from './environment';

serve(parentEndpoint(), studentHandlers(folderEnvironment));
