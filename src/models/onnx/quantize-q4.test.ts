import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../engine/params';
import { GraphBuilder, valueInfo } from './graph-builder';
import { encodeOnnxModel } from './onnx-file';
import { onnx } from './onnx-proto';
import { dequantizeQ4, quantizeQ4 } from './quantize-q4';

const FLOAT = onnx.TensorProto.DataType.FLOAT;

function randomMatrix(length: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length }, () => random());
}

describe('q4 block quantization', () => {
  it('keeps every weight within one step of its block scale, and most within half a step', () => {
    const [N, K, block] = [6, 80, 32]; // K = 2.5 blocks: the last one padded
    const w = randomMatrix(N * K, 1);
    const q = quantizeQ4(w, N, K, block);
    expect(q.blocks).toBe(3);
    expect(q.packed.length).toBe(N * 3 * 16);
    const back = dequantizeQ4(q, N, K, block);
    let withinHalf = 0;
    for (let n = 0; n < N; n++)
      for (let k = 0; k < K; k++) {
        const step = Math.abs(q.scales[n * 3 + Math.floor(k / block)]);
        const error = Math.abs(back[n * K + k] - w[n * K + k]);
        expect(error).toBeLessThanOrEqual(step * (1 + 1e-6));
        if (error <= step / 2 + 1e-7) withinHalf++;
      }
    expect(withinHalf / (N * K)).toBeGreaterThan(0.95);
    // The padding of the last block is code 8 (zero): bytes 0x88.
    const lastBlock = q.packed.subarray(2 * 16, 3 * 16);
    expect(Array.from(lastBlock.subarray(8))).toEqual(new Array(8).fill(0x88));
  });

  it.each([32, 64, 128])("is the layout onnxruntime's MatMulNBits reads (block size %i)", async (block) => {
    const [M, N, K] = [3, 5, 160];
    const w = randomMatrix(N * K, 2);
    const x = randomMatrix(M * K, 3);
    const q = quantizeQ4(w, N, K, block);
    const g = new GraphBuilder();
    const packed = g.addTensor('w.q4', onnx.TensorProto.DataType.UINT8, [N, q.blocks, block / 2], () => q.packed);
    const scales = g.addFloat('w.scales', [N * q.blocks], q.scales);
    g.op('MatMulNBits', ['x', packed, scales], { K, N, bits: 4, block_size: block }, 'y', 'com.microsoft');
    const bytes = await encodeOnnxModel({
      graphName: 'one-matmul',
      nodes: g.nodes,
      initializers: g.initializers,
      inputs: [valueInfo('x', FLOAT, [M, K])],
      outputs: [valueInfo('y', FLOAT, [M, N])],
      opsetImport: [
        { domain: '', version: 17 },
        { domain: 'com.microsoft', version: 1 },
      ],
    });
    const session = await ort.InferenceSession.create(bytes);
    const y = (await session.run({ x: new ort.Tensor('float32', x, [M, K]) })).y.data;
    await session.release();
    if (!(y instanceof Float32Array)) throw new Error('expected float32 output');
    const deq = dequantizeQ4(q, N, K, block);
    for (let m = 0; m < M; m++)
      for (let n = 0; n < N; n++) {
        let expected = 0;
        for (let k = 0; k < K; k++) expected += x[m * K + k] * deq[n * K + k];
        expect(Math.abs(y[m * N + n] - expected)).toBeLessThan(1e-4);
      }
  });
});
