import { urlFiles } from '../models/url-files';
import type { WorkerEnvironment } from './engine-host';

/** Inside a browser worker: the page's WebGPU and model folders fetched over HTTP. */
export const browserEnvironment: WorkerEnvironment = {
  gpu: () => globalThis.navigator?.gpu,
  modelFiles: (source, onBytes, signal) =>
    urlFiles(source.url, { signal, onProgress: (p) => onBytes(p.loaded, p.total) }),
};
