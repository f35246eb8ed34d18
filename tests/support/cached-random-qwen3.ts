import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExportDtype } from '../../src/models/onnx/dtypes';
import { exportOnnxFolder } from '../../src/models/onnx/export-folder';
import { type RandomQwen3Options, writeRandomQwen3Folder } from '../../src/models/testing/random-qwen3';

/** Where generated checkpoints are kept between test runs (they take seconds each to write). */
const cacheRoot = join(tmpdir(), 'sodp-test-checkpoints');

/**
 * A random Qwen3 folder (writeRandomQwen3Folder) written once and reused: named by its options,
 * written under another name and renamed when complete, so a run killed midway leaves nothing
 * that a later run would take for a finished folder.
 */
export function cachedRandomQwen3Folder(options: RandomQwen3Options): string {
  const key = Object.entries(options)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}-${typeof v === 'object' ? JSON.stringify(v).replace(/[^\w.]+/g, '_') : String(v)}`)
    .join('_');
  const dir = join(cacheRoot, `qwen3_${key}`);
  if (existsSync(dir)) return dir;
  mkdirSync(cacheRoot, { recursive: true });
  const partial = `${dir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  writeRandomQwen3Folder(partial, options);
  renameSync(partial, dir);
  return dir;
}

/** A hash of the exporter's code: an export made by other code is not reused. */
function exporterVersion(): string {
  const dir = fileURLToPath(new URL('../../src/models/onnx/', import.meta.url));
  const hash = createHash('sha256');
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .sort())
    hash.update(readFileSync(join(dir, file)));
  return hash.digest('hex').slice(0, 12);
}

/**
 * `cachedRandomQwen3Folder(options)` with its ONNX export of `dtype` beside the weights (a
 * transformers.js layout), written once like the folder itself.
 */
export async function cachedRandomQwen3Onnx(options: RandomQwen3Options, dtype: ExportDtype): Promise<string> {
  const folder = cachedRandomQwen3Folder(options);
  const dir = `${folder}_onnx-${dtype}-${exporterVersion()}`;
  if (existsSync(dir)) return dir;
  const partial = `${dir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  await exportOnnxFolder(folder, partial, { dtype });
  renameSync(partial, dir);
  return dir;
}
