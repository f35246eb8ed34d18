import { describe, expect, it } from 'vitest';
import { qwen3TokenizerSource } from './tokenizer/qwen3-source';
import { checkSharedVocabulary, summarizeVocabulary, vocabularyMismatch } from './vocabulary';

const qwen3 = qwen3TokenizerSource().tokenizer;
const entry = (name: string, tokenizerJson: unknown, vocabSize = 151936) => ({ name, tokenizerJson, vocabSize });

describe('checkSharedVocabulary', () => {
  it('accepts two Qwen3 tokenizers', () => {
    expect(() => checkSharedVocabulary(entry('Qwen/Qwen3-0.6B', qwen3), entry('Qwen/Qwen3-4B', qwen3))).not.toThrow();
  });

  it('explains a different vocab_size, a different token count, and tokens with other ids', () => {
    expect(() => checkSharedVocabulary(entry('a', qwen3), entry('b', qwen3, 152064))).toThrow(
      /student \(a\) and the teacher \(b\) do not share a vocabulary: config.json's vocab_size is 151936 and 152064/,
    );
    const model = qwen3.model as { vocab: Record<string, number> };
    const fewer = { ...qwen3, model: { ...model, vocab: Object.fromEntries(Object.entries(model.vocab).slice(1)) } };
    expect(() => checkSharedVocabulary(entry('a', qwen3), entry('b', fewer))).toThrow(
      /tokenizers have \d+ and \d+ tokens/,
    );
    const swapped = { ...qwen3, model: { ...model, vocab: { ...model.vocab, a: model.vocab.b, b: model.vocab.a } } };
    expect(() => checkSharedVocabulary(entry('a', qwen3), entry('b', swapped))).toThrow(
      /2 tokens have other ids \("a" is/,
    );
  });

  it('says the same from summaries, which cross threads: equal for equal tokenizers, else why not', () => {
    const model = qwen3.model as { vocab: Record<string, number> };
    const swapped = { ...qwen3, model: { ...model, vocab: { ...model.vocab, a: model.vocab.b, b: model.vocab.a } } };
    const a = summarizeVocabulary(entry('a', qwen3));
    expect(vocabularyMismatch(a, summarizeVocabulary(entry('b', qwen3)))).toBeUndefined();
    expect(vocabularyMismatch(a, summarizeVocabulary(entry('b', swapped)))).toMatch(/give some tokens other ids/);
    expect(vocabularyMismatch(a, summarizeVocabulary(entry('b', qwen3, 1000)))).toMatch(
      /vocab_size is 151936 and 1000/,
    );
  });
});
