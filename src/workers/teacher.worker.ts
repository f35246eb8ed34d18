/** Entry point of the teacher engine's Web Worker. */
import { browserEnvironment } from './browser-environment';
import { serve } from '../core/rpc/rpc';
import { teacherHandlers } from './teacher-handlers';
import { workerScope } from '../core/rpc/worker-scope';

serve(workerScope(), teacherHandlers(browserEnvironment));
