import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Qwen3Config } from '../../src/engine/config';
import { randomWeights } from '../../src/engine/params';
import { generateArithmeticTasks } from '../../src/agent/tasks/arithmetic';
import { modelFolderFiles } from '../../src/models/demo/model-folder';
import { buildTokenizerFiles, qwen3AddedTokens } from '../../src/models/tokenizer/hf-files';
import { qwen3TokenizerSource } from '../../src/models/tokenizer/qwen3-source';
import { trainByteLevelBpe } from '../../src/models/tokenizer/train-bpe';

export { qwen3TokenizerSource };

/**
 * A complete Hugging Face model folder with random weights and a small BPE tokenizer that
 * keeps Qwen3's special tokens and chat template: enough for the whole loop, offline.
 */
export function writeTinyModelFolder(name: string, shape: Partial<Qwen3Config> = {}, seed = 1): string {
  const source = qwen3TokenizerSource();
  const corpus = generateArithmeticTasks(60, 99).map(
    (t) => `${t.question} The answer is \\boxed{${t.answer}}. print(${t.answer})`,
  );
  const trained = trainByteLevelBpe(corpus, { vocabSize: 320, reserved: qwen3AddedTokens(source) });
  const tokenizer = buildTokenizerFiles(trained, source);
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
  for (const [file, content] of Object.entries(
    modelFolderFiles({ config, tensors: randomWeights(config, seed), tokenizer }),
  ))
    writeFileSync(join(dir, file), content);
  return dir;
}
