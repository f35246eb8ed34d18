/**
 * A Qwen3 model folder (Hugging Face layout, safetensors) to the folder layout
 * @huggingface/transformers loads: config.json and the tokenizer files at the top,
 * the graph in onnx/ under the name transformers.js requests for the dtype. Node only.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseJsonFile } from '../../core/json';
import { parseQwen3Config, qwen3SizeFields } from '../../engine/config';
import { openWeights } from '../../engine/load';
import { folderFiles } from '../../engine/node-files';
import { weightNames } from '../../engine/params';
import { onnxFileNames, type ExportDtype } from './dtypes';
import { qwen3OnnxModel } from './export-qwen3';
import type { ExternalDataOptions } from './onnx-file';
import { writeOnnxFile } from './write-onnx-file';

export interface ExportOnnxOptions {
  dtype: ExportDtype;
  /** q4 only. Default 32. */
  blockSize?: number;
  /** When the graph goes to external data (tests lower the threshold). */
  externalData?: ExternalDataOptions;
  onProgress?: (done: number, total: number, tensor: string) => void;
}

export interface ExportOnnxResult {
  /** The graph, relative to the output folder (`onnx/model_q4.onnx`). */
  modelFile: string;
  /** Its external data files, relative to the output folder (none when inline). */
  dataFiles: string[];
  /** The other files written or copied, relative to the output folder. */
  copied: string[];
}

/** Required next to the weights; transformers.js reads them to tokenize. */
const requiredFiles = ['config.json', 'tokenizer.json', 'tokenizer_config.json'];
const optionalFiles = ['generation_config.json', 'special_tokens_map.json'];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The `transformers.js_config` of config.json after writing `file` with `chunks` external
 * data files. transformers.js fetches external data files only when `use_external_data_format`
 * names the file with their number (`_data`, `_data_1`, …): a browser then hands them to
 * onnxruntime-web by name, while in Node onnxruntime reads them from beside the model file
 * (given a path, it needs no list). The entry is set or cleared per file; a previous export's entries for other files are kept. `dtype` (what a
 * load without one picks) is set to the first dtype exported, so a folder holding only
 * model_q4.onnx still loads with no dtype given.
 */
export function transformersJsConfig(
  previous: unknown,
  file: string,
  chunks: number,
  dtype: ExportDtype,
): Record<string, unknown> {
  const config: Record<string, unknown> = isRecord(previous) ? { ...previous } : {};
  const external = isRecord(config.use_external_data_format) ? { ...config.use_external_data_format } : {};
  if (chunks > 0) external[file] = chunks;
  else delete external[file];
  if (Object.keys(external).length > 0) config.use_external_data_format = external;
  else delete config.use_external_data_format;
  config.dtype ??= dtype;
  return config;
}

/** Exports `modelDir` into `outDir` (created if needed; may be `modelDir` itself). */
export async function exportOnnxFolder(
  modelDir: string,
  outDir: string,
  options: ExportOnnxOptions,
): Promise<ExportOnnxResult> {
  for (const file of requiredFiles) if (!existsSync(join(modelDir, file))) throw new Error(`${modelDir}: no ${file}`);
  const configJson = parseJsonFile(readFileSync(join(modelDir, 'config.json'), 'utf8'), join(modelDir, 'config.json'));
  const config = parseQwen3Config(configJson, join(modelDir, 'config.json'));
  if (!isRecord(configJson)) throw new Error(`${modelDir}/config.json: expected a JSON object`);

  // Every tensor is checked before anything is written, so a bad checkpoint leaves no half export.
  const source = await openWeights(folderFiles(modelDir));
  for (const { name, shape } of weightNames(config)) {
    if (!source.has(name)) throw new Error(`${modelDir}: the checkpoint has no tensor ${name}`);
    const found = source.info(name).shape;
    if (found.join(',') !== shape.join(','))
      throw new Error(
        `${modelDir}: tensor ${name} has shape [${found.join(', ')}], config.json implies [${shape.join(', ')}]`,
      );
  }

  mkdirSync(join(outDir, 'onnx'), { recursive: true });
  const file = onnxFileNames[options.dtype];
  const model = qwen3OnnxModel(qwen3SizeFields(config), (name) => source.read(name), {
    dtype: options.dtype,
    blockSize: options.blockSize,
  });
  const written = await writeOnnxFile(join(outDir, 'onnx', file), model, options.externalData, options.onProgress);

  const copied: string[] = [];
  const sameFolder = resolve(modelDir) === resolve(outDir);
  for (const name of [...requiredFiles.slice(1), ...optionalFiles]) {
    if (!existsSync(join(modelDir, name))) continue;
    if (!sameFolder) copyFileSync(join(modelDir, name), join(outDir, name));
    copied.push(name);
  }
  const outConfig = join(outDir, 'config.json');
  const previous: unknown = existsSync(outConfig)
    ? parseJsonFile(readFileSync(outConfig, 'utf8'), outConfig)
    : undefined;
  const previousJs = isRecord(previous) ? previous['transformers.js_config'] : undefined;
  const jsConfig = transformersJsConfig(previousJs, file, written.dataFiles.length, options.dtype);
  writeFileSync(outConfig, `${JSON.stringify({ ...configJson, 'transformers.js_config': jsConfig }, null, 2)}\n`);
  copied.unshift('config.json');
  return { modelFile: `onnx/${file}`, dataFiles: written.dataFiles.map((f) => `onnx/${f}`), copied };
}
