import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { lookup, randomWeights, tinyDims as dims } from '../../../tests/support/tiny-onnx-model';
import { qwen3OnnxModel } from './export-qwen3';
import type { Initializer } from './graph-builder';
import { encodeOnnxModel, planOnnxLayout, type OnnxModelParts } from './onnx-file';
import { onnx } from './onnx-proto';
import { writeOnnxFile } from './write-onnx-file';

const GiB = 2 ** 30;

/** A graph y = x + a + b + c whose initializers are only declared: producing one fails the test. */
function declaredOnly(sizes: number[]): OnnxModelParts {
  const initializers: Initializer[] = sizes.map((byteLength, i) => ({
    name: `w${i}`,
    dataType: onnx.TensorProto.DataType.FLOAT,
    dims: [byteLength / 4],
    byteLength,
    data: () => {
      throw new Error('the plan must not produce tensor data');
    },
  }));
  return {
    graphName: 'declared',
    nodes: [],
    inputs: [],
    outputs: [],
    initializers,
    opsetImport: [{ domain: '', version: 17 }],
  };
}

async function runTiny(path: string): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(path);
  const ids = [3, 17, 5, 39, 0];
  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, ids.length]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(ids.length).fill(1n), [1, ids.length]),
    position_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map((_, i) => BigInt(i))), [1, ids.length]),
  };
  for (let i = 0; i < dims.num_hidden_layers; i++)
    for (const kind of ['key', 'value'])
      feeds[`past_key_values.${i}.${kind}`] = new ort.Tensor('float32', new Float32Array(0), [
        1,
        dims.num_key_value_heads,
        0,
        dims.head_dim,
      ]);
  const logits = (await session.run(feeds)).logits.data;
  await session.release();
  if (!(logits instanceof Float32Array)) throw new Error('expected float32 logits');
  return logits;
}

describe('the ONNX file layout', () => {
  it('puts a graph whose initializers pass 2 GiB in external data, planned from sizes alone', () => {
    // 3 GiB declared, nothing allocated: every data() throws.
    const layout = planOnnxLayout(declaredOnly([GiB, GiB, GiB, 512]));
    expect(layout.external).toBe(true);
    expect(layout.inlineBytes).toBeGreaterThan(3 * GiB);
    // No data file passes 2 GiB − 1 (one ArrayBuffer in a browser): a file per GiB tensor here.
    expect(layout.chunkBytes).toEqual([GiB, GiB, GiB]);
    expect(layout.placements).toEqual([
      { chunk: 0, offset: 0 },
      { chunk: 1, offset: 0 },
      { chunk: 2, offset: 0 },
      undefined, // under 1 KiB: stays in the model file
    ]);
    // Just under the limit stays one file.
    expect(planOnnxLayout(declaredOnly([GiB, GiB - 4096])).external).toBe(false);
    // Smaller tensors share a file, each at an offset that is a multiple of 4096.
    const shared = planOnnxLayout(declaredOnly([5000, 8000, 4096]), { thresholdBytes: 1 });
    expect(shared.placements).toEqual([
      { chunk: 0, offset: 0 },
      { chunk: 0, offset: 8192 },
      { chunk: 0, offset: 16384 },
    ]);
    expect(shared.chunkBytes).toEqual([16384 + 4096]);
  });

  it('writes external data that onnxruntime loads, with the outputs of the inline file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sodp-external-'));
    const model = () => qwen3OnnxModel(dims, lookup(randomWeights(dims)));
    const inlinePath = join(dir, 'inline.onnx');
    writeFileSync(inlinePath, await encodeOnnxModel(model()));
    const externalPath = join(dir, 'model.onnx');
    // A low threshold forces external data; small chunks spread it over several files.
    const written = await writeOnnxFile(externalPath, model(), { thresholdBytes: 1, maxChunkBytes: 3000 });
    expect(written.layout.external).toBe(true);
    expect(written.dataFiles.length).toBeGreaterThan(2);
    expect(written.dataFiles.slice(0, 2)).toEqual(['model.onnx_data', 'model.onnx_data_1']);
    written.dataFiles.forEach((f, i) => expect(statSync(join(dir, f)).size).toBe(written.layout.chunkBytes[i]));
    expect(statSync(externalPath).size).toBeLessThan(statSync(inlinePath).size);
    const stored = onnx.ModelProto.decode(readFileSync(externalPath));
    // Every tensor of 1 KiB or more is outside; the small ones (shape constants, norms) inside.
    const outside = (stored.graph?.initializer ?? []).filter(
      (t) => t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL,
    );
    expect(outside.length).toBe(model().initializers.filter((t) => t.byteLength >= 1024).length);
    const embed = stored.graph?.initializer?.find((t) => t.name === 'model.embed_tokens.weight');
    expect(embed?.dataLocation).toBe(onnx.TensorProto.DataLocation.EXTERNAL);
    expect(embed?.externalData?.map((e) => e.key)).toEqual(['location', 'offset', 'length']);

    expect(Array.from(await runTiny(externalPath))).toEqual(Array.from(await runTiny(inlinePath)));

    // Writing the file again inline removes the data files the earlier export left.
    await writeOnnxFile(externalPath, model());
    expect(readdirSync(dir).sort()).toEqual(['inline.onnx', 'model.onnx']);
    expect(Array.from(await runTiny(externalPath))).toEqual(Array.from(await runTiny(inlinePath)));
  });
});
