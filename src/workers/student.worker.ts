/** Entry point of the student engine's Web Worker. */
import { browserEnvironment } from './browser-environment';
import { serve } from '../core/rpc/rpc';
import { studentHandlers } from './student-handlers';
import { workerScope } from '../core/rpc/worker-scope';

serve(workerScope(), studentHandlers(browserEnvironment));
