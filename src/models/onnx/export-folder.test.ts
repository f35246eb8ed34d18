// A random Qwen3 folder exported as fp32, fp16 and q4 loads in @huggingface/transformers
// (onnxruntime-node, CPU) and scores a sequence teacher-forced like the engine's f32 forward.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeTinyModelFolder } from '../../../tests/support/tiny-model-folder';
import { CpuBackend } from '../../engine/cpu/backend';
import { EngineScorer } from '../../engine/inference';
import { parseQwen3Config } from '../../engine/config';
import { loadQwen3, openWeights } from '../../engine/load';
import { weightNames } from '../../engine/params';
import { writeSafetensors, type TensorToWrite } from '../../engine/safetensors';
import { folderFiles } from '../../engine/node-files';
import { TransformersScorer } from '../transformers-scorer';
import { exportOnnxFolder, transformersJsConfig } from './export-folder';
import type { ExportDtype } from './dtypes';
import { dequantizeQ4, quantizeQ4 } from './quantize-q4';

/**
 * The model the q4 graph computes, as a safetensors folder for the engine: every projection
 * and the (untied) LM head quantized and dequantized, the embedding as it is (float32).
 */
async function dequantizedFolder(modelDir: string, blockSize: number): Promise<string> {
  const json: unknown = JSON.parse(readFileSync(join(modelDir, 'config.json'), 'utf8'));
  if (typeof json !== 'object' || json === null) throw new Error('config.json is not an object');
  const untied = { ...json, tie_word_embeddings: false };
  const config = parseQwen3Config(untied);
  const source = await openWeights(folderFiles(modelDir));
  const quantized = (w: Float32Array, [N, K]: number[]) =>
    dequantizeQ4(quantizeQ4(w, N, K, blockSize), N, K, blockSize);
  const tensors: Record<string, TensorToWrite> = {};
  for (const { name, shape } of weightNames(config)) {
    const from = name === 'lm_head.weight' ? 'model.embed_tokens.weight' : name;
    const w = await source.read(from);
    let data = w;
    if (name === 'lm_head.weight' || /_proj\.weight$/.test(name)) data = quantized(w, shape);
    tensors[name] = { shape, data };
  }
  const dir = join(mkdtempSync(join(tmpdir(), 'sodp-dequantized-')), 'model');
  mkdirSync(dir);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(untied));
  writeFileSync(join(dir, 'model.safetensors'), writeSafetensors(tensors));
  for (const file of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(modelDir, file), join(dir, file));
  return dir;
}

/** Hidden 64 (2 blocks of 32 per row), intermediate 160: down_proj's K is no multiple of 64 or 128, so q4 pads. */
const shape = { hiddenSize: 64, intermediateSize: 160, numHeads: 4, numKvHeads: 2, headDim: 16 };

interface Agreement {
  mean: number;
  max: number;
}

describe('sodp export-onnx: the exported folder in transformers.js', () => {
  let modelDir: string;
  let prompt: number[];
  let response: number[];
  let engineLogprobs: Float64Array;
  beforeAll(async () => {
    modelDir = writeTinyModelFolder('export-me', shape, 7);
    const model = await loadQwen3(new CpuBackend(), folderFiles(modelDir));
    // Spread over the whole vocabulary, special tokens included.
    const ids = Array.from({ length: 48 }, (_, i) => (i * 7919 + 13) % model.config.vocabSize);
    prompt = ids.slice(0, 16);
    response = ids.slice(16);
    engineLogprobs = await new EngineScorer('engine', model).scoreTokens(prompt, response);
    const meanLogp = engineLogprobs.reduce((a, b) => a + b, 0) / engineLogprobs.length;
    console.log(`export-onnx: the engine's mean log p on the test sequence is ${meanLogp.toFixed(2)}`);
  }, 60_000);

  async function exportAndScore(dtype: ExportDtype, blockSize?: number): Promise<Agreement> {
    const out = join(mkdtempSync(join(tmpdir(), 'sodp-export-')), 'teacher');
    await exportOnnxFolder(modelDir, out, { dtype, blockSize });
    const scorer = await TransformersScorer.load(out, { devices: ['cpu'], localFilesOnly: true, dtype });
    try {
      // Two chunks, so the KV cache of the graph's own dtype is fed back once.
      const got = await scorer.scoreTokens(prompt, response);
      const diffs = Array.from(got, (lp, i) => Math.abs(lp - engineLogprobs[i]));
      const agreement = { mean: diffs.reduce((a, b) => a + b, 0) / diffs.length, max: Math.max(...diffs) };
      console.log(
        `export-onnx ${dtype}${blockSize ? ` block ${blockSize}` : ''}: |Δ log p| mean ${agreement.mean.toExponential(2)}, max ${agreement.max.toExponential(2)}`,
      );
      return agreement;
    } finally {
      await scorer.dispose();
    }
  }

  it('fp32 writes config, tokenizer and onnx/model.onnx, and agrees with the engine to 1e-4', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'sodp-export-')), 'teacher');
    const result = await exportOnnxFolder(modelDir, out, { dtype: 'fp32' });
    expect(result.modelFile).toBe('onnx/model.onnx');
    expect(result.dataFiles).toEqual([]);
    for (const file of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json'])
      expect(existsSync(join(out, file))).toBe(true);
    const config: unknown = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ model_type: 'qwen3', 'transformers.js_config': { dtype: 'fp32' } });
    const { mean, max } = await exportAndScore('fp32');
    expect(max).toBeLessThan(1e-4);
    expect(mean).toBeLessThan(2e-5);
  }, 60_000);

  it('fp16 keeps a float16 KV cache and float32 logits, and agrees within float16 rounding', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'sodp-export-')), 'teacher');
    const { modelFile } = await exportOnnxFolder(modelDir, out, { dtype: 'fp16' });
    expect(modelFile).toBe('onnx/model_fp16.onnx');
    const session = await ort.InferenceSession.create(join(out, modelFile));
    const types = Object.fromEntries(session.inputMetadata.map((m) => [m.name, m.isTensor ? m.type : 'not a tensor']));
    expect(types['past_key_values.0.key']).toBe('float16');
    const outputTypes = Object.fromEntries(
      session.outputMetadata.map((m) => [m.name, m.isTensor ? m.type : 'not a tensor']),
    );
    expect(outputTypes.logits).toBe('float32');
    expect(outputTypes['present.1.value']).toBe('float16');
    await session.release();
    const { mean, max } = await exportAndScore('fp16');
    // Measured on this model: mean 1.3e-3, max 2.9e-3 (float16 weights and KV cache); ~3× margin.
    expect(max).toBeLessThan(1e-2);
    expect(mean).toBeLessThan(4e-3);
  }, 60_000);

  it.each([32, 64, 128])(
    'q4 with block size %i runs MatMulNBits and agrees within 4-bit rounding',
    async (block) => {
      const { mean, max } = await exportAndScore('q4', block);
      expect(max).toBeLessThan(10);
      expect(mean).toBeLessThan(10);
    },
    60_000,
  );

  it('q4 computes what the engine computes on the weights it dequantizes to: the rest of Δ is 4-bit rounding', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'sodp-export-')), 'teacher');
    await exportOnnxFolder(modelDir, out, { dtype: 'q4', blockSize: 64 });
    const scorer = await TransformersScorer.load(out, { devices: ['cpu'], localFilesOnly: true, dtype: 'q4' });
    const viaOnnx = await scorer.scoreTokens(prompt, response);
    await scorer.dispose();
    const reference = await loadQwen3(new CpuBackend(), folderFiles(await dequantizedFolder(modelDir, 64)));
    const viaEngine = await new EngineScorer('dequantized', reference).scoreTokens(prompt, response);
    const max = Math.max(...Array.from(viaOnnx, (lp, i) => Math.abs(lp - viaEngine[i])));
    console.log(
      `export-onnx q4 block 64 vs the engine on its dequantized weights: max |Δ log p| ${max.toExponential(2)}`,
    );
    expect(max).toBeLessThan(1e-4);
  }, 60_000);

  it('with external data split over files, config.json names them and transformers.js scores as inline', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sodp-export-'));
    const inline = join(root, 'inline');
    const split = join(root, 'split');
    await exportOnnxFolder(modelDir, inline, { dtype: 'fp16' });
    const result = await exportOnnxFolder(modelDir, split, {
      dtype: 'fp16',
      externalData: { thresholdBytes: 1, maxChunkBytes: 64 * 1024 },
    });
    expect(result.dataFiles.length).toBeGreaterThan(1);
    expect(result.dataFiles.slice(0, 2)).toEqual(['onnx/model_fp16.onnx_data', 'onnx/model_fp16.onnx_data_1']);
    const config: unknown = JSON.parse(readFileSync(join(split, 'config.json'), 'utf8'));
    expect(config).toMatchObject({
      'transformers.js_config': { use_external_data_format: { 'model_fp16.onnx': result.dataFiles.length } },
    });
    const scores: Float64Array[] = [];
    for (const dir of [inline, split]) {
      const scorer = await TransformersScorer.load(dir, { devices: ['cpu'], localFilesOnly: true, dtype: 'fp16' });
      scores.push(await scorer.scoreTokens(prompt, response));
      await scorer.dispose();
    }
    expect(Array.from(scores[1])).toEqual(Array.from(scores[0]));
  }, 60_000);

  it('records external data per file in transformers.js_config and keeps other entries', () => {
    const first = transformersJsConfig(undefined, 'model_fp16.onnx', 2, 'fp16');
    expect(first).toEqual({ use_external_data_format: { 'model_fp16.onnx': 2 }, dtype: 'fp16' });
    const second = transformersJsConfig(first, 'model_q4.onnx', 0, 'q4');
    expect(second).toEqual({ use_external_data_format: { 'model_fp16.onnx': 2 }, dtype: 'fp16' });
    expect(transformersJsConfig(second, 'model_fp16.onnx', 0, 'fp16')).toEqual({ dtype: 'fp16' });
  });
});
