// Entry of the Python sandbox as a Node worker thread: TypeScript through tsx, then the shared handlers.
import { register } from 'tsx/esm/api';

register();
await import('./node-worker-main.ts');
