/** Entry point of the student engine's Web Worker. */
import { browserEnvironment } from './browser-environment';
import { serve } from './rpc';
import { studentHandlers } from './student-handlers';
import { workerScope } from './worker-scope';

serve(workerScope(), studentHandlers(browserEnvironment));
