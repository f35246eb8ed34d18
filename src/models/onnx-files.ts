/**
 * The files of an ONNX model laid out as transformers.js reads them (the Hub's
 * `onnx-community/Qwen3-*-ONNX` repositories): config and tokenizer at the top, the graph of each
 * dtype at `onnx/model{suffix}.onnx`, and its weights, when over 2 GB, in external data files
 * `onnx/model{suffix}.onnx_data`, `…_data_1`, … that the config's `transformers.js_config` counts.
 * Nothing here imports transformers.js: the store and the page's main bundle use these names.
 */
import type { ModelFiles } from '../engine/load';
import { hubFileUrl, HubModelError } from './hub';
import { fetchHubModel, type FetchHubModelOptions, type HubModelSource, type ModelFileStore } from './hub-model';

/** The dtypes of the Hub's Qwen3 ONNX exports. */
export const onnxDtypes = ['fp32', 'fp16', 'q4', 'q4f16'] as const;
export type OnnxDtype = (typeof onnxDtypes)[number];

/** transformers.js' file name suffix of each dtype. */
const suffixes: Record<OnnxDtype, string> = { fp32: '', fp16: '_fp16', q4: '_q4', q4f16: '_q4f16' };

/** Where transformers.js runs an ONNX model: `webgpu` or `wasm` in a browser, `cpu` (onnxruntime-node) in Node. */
export type OnnxDevice = 'webgpu' | 'wasm' | 'cpu';

/** The graph file of a dtype, e.g. `onnx/model_q4.onnx`. */
export const onnxGraphFile = (dtype: OnnxDtype): string => `onnx/model${suffixes[dtype]}.onnx`;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * How many external data files the graph of `dtype` has, as transformers.js reads the config's
 * `transformers.js_config.use_external_data_format`: a count (true is 1) for every graph, or one per file name.
 */
export function externalDataChunks(config: unknown, dtype: OnnxDtype): number {
  const jsConfig = isRecord(config) ? config['transformers.js_config'] : undefined;
  const format = isRecord(jsConfig) ? jsConfig.use_external_data_format : undefined;
  const graph = onnxGraphFile(dtype).slice('onnx/'.length);
  const value = isRecord(format) ? (format[graph] ?? format.model) : format;
  if (value === undefined || value === null || value === false) return 0;
  if (value === true) return 1;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 100) return value;
  throw new Error(`transformers.js_config.use_external_data_format for ${graph} is ${JSON.stringify(value)}`);
}

/** The graph of `dtype` and its external data files. */
export function onnxWeightFiles(config: unknown, dtype: OnnxDtype): string[] {
  const graph = onnxGraphFile(dtype);
  const chunks = externalDataChunks(config, dtype);
  return [graph, ...Array.from({ length: chunks }, (_, i) => `${graph}_data${i === 0 ? '' : `_${i}`}`)];
}

/** The files of a Hub repository at a revision (the Hub's model API; a mirror laid out like it answers the same). */
export async function listRepoFiles(source: HubModelSource, fetcher: typeof fetch = fetch): Promise<string[]> {
  const url = `${source.endpoint.replace(/\/+$/, '')}/api/models/${source.repo}/revision/${encodeURIComponent(source.revision)}`;
  const response = await fetcher(url);
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  const body: unknown = await response.json();
  const siblings = isRecord(body) && Array.isArray(body.siblings) ? body.siblings : [];
  return siblings.flatMap((s: unknown) => (isRecord(s) && typeof s.rfilename === 'string' ? [s.rfilename] : []));
}

/**
 * Brings an ONNX model's config, tokenizer, graph of `dtype` and its external data into `store`
 * through the page's downloader (Range resume, progress per file). A repository without that
 * dtype's graph gets an error that lists the ONNX files it has.
 */
export async function fetchOnnxModel(
  source: HubModelSource,
  store: ModelFileStore,
  dtype: OnnxDtype,
  options: Omit<FetchHubModelOptions, 'weightFiles' | 'missingWeight'> = {},
): Promise<ModelFiles> {
  return fetchHubModel(source, store, {
    ...options,
    weightFiles: (config) => onnxWeightFiles(config, dtype),
    missingWeight: async (path, name) => {
      let has: string;
      try {
        const onnx = (await listRepoFiles(source, options.fetch)).filter((f) => f.endsWith('.onnx'));
        has = onnx.length > 0 ? `its ONNX files are ${onnx.join(', ')}` : 'it has no .onnx files';
      } catch (err) {
        has = `its files could not be listed (${err instanceof Error ? err.message : String(err)})`;
      }
      return new HubModelError(`${name} has no ${path} (the ${dtype} graph): ${has}`);
    },
  });
}

/**
 * The path inside the repository that a transformers.js cache key names, when the key is a file
 * of `source` (transformers.js keys files by their Hub URL); undefined for anything else.
 */
export function repoPathOfKey(source: HubModelSource, key: string): string | undefined {
  const prefix = hubFileUrl({ ...source, path: '' });
  if (!key.startsWith(prefix)) return undefined;
  const path = key.slice(prefix.length).split('/').map(decodeURIComponent).join('/');
  return path === '' ? undefined : path;
}
