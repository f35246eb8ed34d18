/** A model folder on disk, for the CLI and tests (Node only). */
import { existsSync, openAsBlob } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelFiles } from './load';

export function folderFiles(dir: string): ModelFiles {
  return {
    name: dir,
    exists: async (path) => existsSync(join(dir, path)),
    text: (path) => readFile(join(dir, path), 'utf8'),
    // openAsBlob reads from disk on demand, so a large checkpoint is not held in memory.
    blob: (path) => openAsBlob(join(dir, path)),
  };
}
