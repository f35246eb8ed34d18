import { ChatFormat, type ChatMessage } from '../../agent/chat';
import { problemMessages } from '../../agent/prompt';
import type { Task } from '../../agent/tasks/task';
import type { Qwen3Config } from '../../engine/config';
import { allLoraTargets, modulePath, seededRandom, weightNames } from '../../engine/params';
import {
  buildTokenizerFiles,
  qwen3AddedTokens,
  type Qwen3TokenizerSource,
  type TokenizerFiles,
} from '../tokenizer/hf-files';
import { trainByteLevelBpe } from '../tokenizer/train-bpe';
import { teacherTurns } from './teacher-solutions';

/** The demo pair's shapes (vocabulary size comes from the tokenizer). */
export const demoShapes: Record<'teacher' | 'student', Omit<Qwen3Config, 'vocabSize'>> = {
  teacher: {
    hiddenSize: 128,
    intermediateSize: 256,
    numLayers: 4,
    numHeads: 4,
    numKvHeads: 2,
    headDim: 32,
    rmsNormEps: 1e-6,
    ropeTheta: 10000,
    tieWordEmbeddings: false,
    maxPositionEmbeddings: 2048,
    torchDtype: 'float32',
  },
  student: {
    hiddenSize: 128,
    intermediateSize: 256,
    numLayers: 3,
    numHeads: 4,
    numKvHeads: 2,
    headDim: 32,
    rmsNormEps: 1e-6,
    ropeTheta: 10000,
    tieWordEmbeddings: false,
    maxPositionEmbeddings: 2048,
    torchDtype: 'float32',
  },
};

/** The whole conversation of a demo-teacher solution, as messages. */
export function teacherConversation(task: Task): ChatMessage[] {
  const [call, answer] = teacherTurns(task);
  return [
    ...problemMessages(task.question),
    { role: 'assistant', content: call },
    { role: 'tool', content: task.answer },
    { role: 'assistant', content: answer },
  ];
}

/**
 * A byte-level BPE learned from teacher solutions rendered by Qwen3's own chat template
 * (so the template's fixed text compresses well), with Qwen3's added tokens and template.
 */
export function demoTokenizer(
  tasks: readonly Task[],
  qwen3: ChatFormat,
  source: Qwen3TokenizerSource,
  bpeSize = 1024,
): { files: TokenizerFiles; vocabSize: number } {
  const corpus = tasks.map((task) => qwen3.render(teacherConversation(task), false));
  const reserved = qwen3AddedTokens(source);
  const trained = trainByteLevelBpe(corpus, { vocabSize: bpeSize, reserved });
  return { files: buildTokenizerFiles(trained, source), vocabSize: trained.vocab.size + reserved.length };
}

/**
 * Initial weights for training from scratch. Only the projections are trained, so the rest
 * is chosen to work frozen: N(0, 1) input embeddings and an independent N(0, 1) LM head
 * (random codes, nearly orthogonal in C dimensions; untied, so the model does not start out
 * predicting its input token again), norms of 1, and a final norm of 2/√C so the first
 * logits have a standard deviation near 2 yet an aligned hidden state reaches a logit of
 * 2√C. Projections ~ U(±1/√in) as PyTorch's Linear.
 */
export function initialDemoWeights(c: Qwen3Config, seed: number): Map<string, Float32Array> {
  const rand = seededRandom(seed);
  const gaussian = () => {
    const u = (rand() + 1) / 2 || 1e-12;
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(Math.PI * (rand() + 1));
  };
  const projections = new Set(
    Array.from({ length: c.numLayers }, (_, l) =>
      allLoraTargets.map((t) => `model.layers.${l}.${modulePath(t)}.weight`),
    ).flat(),
  );
  const out = new Map<string, Float32Array>();
  for (const { name, shape } of weightNames(c)) {
    const n = shape.reduce((a, b) => a * b, 1);
    if (name === 'model.embed_tokens.weight' || name === 'lm_head.weight')
      out.set(name, Float32Array.from({ length: n }, gaussian));
    else if (name === 'model.norm.weight') out.set(name, new Float32Array(n).fill(2 / Math.sqrt(c.hiddenSize)));
    else if (projections.has(name))
      out.set(
        name,
        Float32Array.from({ length: n }, () => rand() / Math.sqrt(shape[1])),
      );
    else out.set(name, new Float32Array(n).fill(1));
  }
  return out;
}
