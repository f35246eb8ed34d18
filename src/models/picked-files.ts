import type { ModelFiles } from '../engine/load';

/** A file picked from a folder on disk, with its path inside that folder ('config.json', 'onnx/model.onnx'). */
export interface PickedFile {
  path: string;
  file: File;
}

/**
 * A model folder the person picked (directory picker, `<input webkitdirectory>` or a drop):
 * its files by their path inside the folder. Files read lazily, so the weights are never all
 * in memory at once.
 */
export function pickedFiles(name: string, picked: readonly PickedFile[]): ModelFiles {
  const byPath = new Map(picked.map((p) => [p.path, p.file]));
  const get = (path: string): File => {
    const file = byPath.get(path);
    if (file === undefined) throw new Error(`${name}: the folder has no ${path}`);
    return file;
  };
  return {
    name,
    exists: async (path) => byPath.has(path),
    text: async (path) => get(path).text(),
    blob: async (path) => get(path),
  };
}

/** Paths relative to the picked folder: "student/config.json" → "config.json" (what webkitRelativePath gives). */
export function withinFolder(relativePath: string): string {
  const cut = relativePath.indexOf('/');
  return cut < 0 ? relativePath : relativePath.slice(cut + 1);
}
