/**
 * A `sodp train` output folder on disk: its checkpoint (written so that a kill at any moment
 * leaves the previous one whole) and, on resume, its JSONL files cut back to the checkpoint.
 */
import { existsSync } from 'node:fs';
import { open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  checkpointJsonName,
  decodeCheckpoint,
  encodeCheckpoint,
  type TrainingCheckpoint,
} from '../agent/training/checkpoint';

/** The checkpoint folder of a run folder. */
export function checkpointDir(out: string): string {
  return join(out, 'checkpoint');
}

/** Writes `data` to `path` by way of a temporary name, synced, so `path` is always whole: the old file or the new. */
async function writeWhole(path: string, data: string | Uint8Array): Promise<void> {
  const temporary = `${path}.tmp`;
  const file = await open(temporary, 'w');
  try {
    await file.writeFile(data);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temporary, path);
}

/**
 * Writes a checkpoint into `dir`: the tensor file (named by its update) first, then
 * checkpoint.json, whose rename is the commit point; the older tensor files go last.
 */
export async function writeCheckpoint(dir: string, cp: TrainingCheckpoint): Promise<void> {
  const files = encodeCheckpoint(cp);
  await writeWhole(join(dir, files.tensorFile), files.tensors);
  await writeWhole(join(dir, checkpointJsonName), files.json);
  for (const name of await readdir(dir))
    if (name !== files.tensorFile && name !== checkpointJsonName) await rm(join(dir, name), { force: true });
}

/** Reads the checkpoint of `dir`, every field checked; errors name the file and field. */
export async function readCheckpoint(dir: string): Promise<TrainingCheckpoint> {
  const path = join(dir, checkpointJsonName);
  if (!existsSync(path)) throw new Error(`${path} does not exist: no update of this run finished, start it again`);
  return decodeCheckpoint(await readFile(path, 'utf8'), path, (file) => readFile(join(dir, file)));
}

/**
 * Keeps the lines of a JSONL file that `keep` accepts and drops the rest (the lines an
 * interrupted run wrote after its checkpoint); a torn last line, from a kill mid-write, is
 * dropped too. Returns the lines kept. A missing file counts as empty.
 */
export async function trimJsonl(path: string, keep: (line: Record<string, unknown>) => boolean): Promise<unknown[]> {
  if (!existsSync(path)) return [];
  const lines = (await readFile(path, 'utf8')).split('\n');
  const kept: string[] = [];
  const values: unknown[] = [];
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      // Only the last line can be torn by a kill; anything else is a damaged file.
      if (!lines.slice(i + 1).some((l) => l.trim() !== '')) break;
      throw new Error(`${path} line ${i + 1}: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
    }
    if (
      typeof value === 'object' &&
      value !== null &&
      !Array.isArray(value) &&
      keep(Object.fromEntries(Object.entries(value)))
    ) {
      kept.push(line);
      values.push(value);
    }
  }
  await writeWhole(path, kept.map((l) => `${l}\n`).join(''));
  return values;
}
