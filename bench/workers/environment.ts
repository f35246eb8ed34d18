/** The playground's engine workers as Node threads for the benchmarks: models from local folders, the CPU backend. */
import type { WorkerEnvironment } from '../../src/workers/engine-host';
import { folderFiles } from '../../src/engine/node-files';

export const folderEnvironment: WorkerEnvironment = {
  gpu: () => undefined,
  modelFiles: (source) => folderFiles(source.url),
};
