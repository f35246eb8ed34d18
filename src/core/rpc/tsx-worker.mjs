// Entry of every Node worker thread: TypeScript through tsx, then the module named in workerData.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
