/** Writing an ONNX model to disk, tensor by tensor, with external data when it is large (Node only). */
import { closeSync, existsSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import {
  emitOnnxModel,
  externalDataFileName,
  planOnnxLayout,
  type ExternalDataOptions,
  type OnnxLayout,
  type OnnxModelParts,
} from './onnx-file';

export interface WrittenOnnx {
  layout: OnnxLayout;
  /** The external data files written next to the model (names only), in chunk order. */
  dataFiles: string[];
}

function writeAll(fd: number, bytes: Uint8Array, position: number | null): void {
  let done = 0;
  while (done < bytes.length) {
    done += writeSync(fd, bytes, done, bytes.length - done, position === null ? null : position + done);
  }
}

/**
 * Writes `model` to `path`, and its tensor data to `path`_data, `path`_data_1, … when the
 * layout (planOnnxLayout with `options`) says so. Data files left by an earlier export of
 * the same file are removed first, so what is on disk is what the model names.
 */
export async function writeOnnxFile(
  path: string,
  model: OnnxModelParts,
  options: ExternalDataOptions = {},
  onTensor?: (done: number, total: number, name: string) => void,
): Promise<WrittenOnnx> {
  const file = basename(path);
  const dir = dirname(path);
  if (existsSync(dir)) {
    for (const name of readdirSync(dir)) {
      if (name === `${file}_data` || name.startsWith(`${file}_data_`)) rmSync(join(dir, name));
    }
  }
  const layout = planOnnxLayout(model, options);
  const dataFiles = layout.chunkBytes.map((_, i) => externalDataFileName(file, i));
  const modelFd = openSync(path, 'w');
  const dataFds = dataFiles.map((name) => openSync(join(dir, name), 'w'));
  try {
    await emitOnnxModel(
      model,
      layout,
      file,
      {
        model: (bytes) => writeAll(modelFd, bytes, null),
        data: (chunk, offset, bytes) => writeAll(dataFds[chunk], bytes, offset),
      },
      onTensor,
    );
  } finally {
    closeSync(modelFd);
    for (const fd of dataFds) closeSync(fd);
  }
  return { layout, dataFiles };
}
