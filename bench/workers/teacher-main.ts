/** The teacher engine worker's handlers in a Node worker thread. */
import { parentEndpoint } from '../../src/core/rpc/node-worker';
import { serve } from '../../src/core/rpc/rpc';
import { teacherHandlers } from '../../src/workers/teacher-handlers';
import { folderEnvironment } from './environment';

serve(parentEndpoint(), teacherHandlers(folderEnvironment));
