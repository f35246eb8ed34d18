import { describe, expect, it } from 'vitest';
import { pickedFiles, withinFolder } from './picked-files';

describe('a picked model folder', () => {
  it('reads its files by their path inside the folder and names what is missing', async () => {
    const files = pickedFiles('student', [
      { path: withinFolder('student/config.json'), file: new File(['{"a":1}'], 'config.json') },
      { path: withinFolder('student/onnx/model.onnx'), file: new File([new Uint8Array(3)], 'model.onnx') },
    ]);
    expect(await files.exists('config.json')).toBe(true);
    expect(await files.exists('onnx/model.onnx')).toBe(true);
    expect(await files.text('config.json')).toBe('{"a":1}');
    expect((await files.blob('onnx/model.onnx')).size).toBe(3);
    await expect(files.text('tokenizer.json')).rejects.toThrow('student: the folder has no tokenizer.json');
  });
});
