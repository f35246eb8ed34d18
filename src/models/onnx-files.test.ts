import { describe, expect, it } from 'vitest';
import { externalDataChunks, onnxGraphFile, onnxWeightFiles, repoPathOfKey } from './onnx-files';

const withFormat = (format: unknown) => ({
  model_type: 'qwen3',
  'transformers.js_config': { use_external_data_format: format },
});

describe('the files of an ONNX model', () => {
  it('names each dtype’s graph as transformers.js does', () => {
    expect(onnxGraphFile('fp32')).toBe('onnx/model.onnx');
    expect(onnxGraphFile('fp16')).toBe('onnx/model_fp16.onnx');
    expect(onnxGraphFile('q4')).toBe('onnx/model_q4.onnx');
    expect(onnxGraphFile('q4f16')).toBe('onnx/model_q4f16.onnx');
  });

  it('counts external data files from the config: per graph, for every graph, or none', () => {
    // As the Hub's Qwen3 exports say it: only the large graphs have external data.
    const hub = withFormat({ 'model.onnx': true, 'model_fp16.onnx': 2 });
    expect(externalDataChunks(hub, 'fp32')).toBe(1);
    expect(externalDataChunks(hub, 'fp16')).toBe(2);
    expect(externalDataChunks(hub, 'q4')).toBe(0);
    expect(externalDataChunks(withFormat(3), 'q4')).toBe(3);
    expect(externalDataChunks(withFormat({ model: 1 }), 'q4f16')).toBe(1);
    expect(externalDataChunks({ model_type: 'qwen3' }, 'fp32')).toBe(0);
    expect(() => externalDataChunks(withFormat('many'), 'fp32')).toThrow(
      /use_external_data_format for model\.onnx is "many"/,
    );
    expect(onnxWeightFiles(withFormat({ 'model_fp16.onnx': 3 }), 'fp16')).toEqual([
      'onnx/model_fp16.onnx',
      'onnx/model_fp16.onnx_data',
      'onnx/model_fp16.onnx_data_1',
      'onnx/model_fp16.onnx_data_2',
    ]);
  });

  it('reads a transformers.js cache key (a Hub URL) as a path of the repository, and nothing else', () => {
    const source = { repo: 'onnx-community/Qwen3-0.6B-ONNX', revision: 'main', endpoint: 'http://127.0.0.1:9' };
    expect(
      repoPathOfKey(source, 'http://127.0.0.1:9/onnx-community/Qwen3-0.6B-ONNX/resolve/main/onnx/model.onnx'),
    ).toBe('onnx/model.onnx');
    expect(
      repoPathOfKey(source, 'http://127.0.0.1:9/onnx-community/Qwen3-0.6B-ONNX/resolve/v2/config.json'),
    ).toBeUndefined();
    expect(repoPathOfKey(source, '/models/onnx-community/Qwen3-0.6B-ONNX/config.json')).toBeUndefined();
  });
});
