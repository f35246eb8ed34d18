/** Entry point of the teacher engine's Web Worker. */
import { browserEnvironment } from './browser-environment';
import { serve } from './rpc';
import { teacherHandlers } from './teacher-handlers';
import { workerScope } from './worker-scope';

serve(workerScope(), teacherHandlers(browserEnvironment));
