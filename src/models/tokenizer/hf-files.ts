import type { TrainedBpe } from './train-bpe';

/** One entry of `added_tokens` in tokenizer.json. */
export interface AddedToken {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

/** The parts of Qwen3's tokenizer files that a derived tokenizer keeps. */
export interface Qwen3TokenizerSource {
  /** Qwen3's tokenizer.json, parsed. */
  tokenizer: Record<string, unknown>;
  /** Qwen3's tokenizer_config.json, parsed (it holds the chat template). */
  config: Record<string, unknown>;
}

export interface TokenizerFiles {
  'tokenizer.json': Record<string, unknown>;
  'tokenizer_config.json': Record<string, unknown>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function addedTokensOf(source: Qwen3TokenizerSource): AddedToken[] {
  const list = source.tokenizer.added_tokens;
  if (!Array.isArray(list)) throw new Error('Qwen3 tokenizer.json has no added_tokens list');
  return list.map((t: unknown, i) => {
    if (!isRecord(t) || typeof t.content !== 'string' || typeof t.id !== 'number')
      throw new Error(`Qwen3 tokenizer.json added_tokens[${i}] is malformed`);
    return {
      id: t.id,
      content: t.content,
      single_word: t.single_word === true,
      lstrip: t.lstrip === true,
      rstrip: t.rstrip === true,
      normalized: t.normalized === true,
      special: t.special === true,
    };
  });
}

/** Qwen3's special and control tokens (<|im_start|>, <tool_call>, <think>, …), in Qwen3's order. */
export function qwen3AddedTokens(source: Qwen3TokenizerSource): string[] {
  return addedTokensOf(source)
    .sort((a, b) => a.id - b.id)
    .map((t) => t.content);
}

/**
 * Hugging Face tokenizer files for a BPE trained by us that behaves like Qwen3's: the same
 * normalizer, pre-tokenizer and decoder, Qwen3's added tokens (each a single token, after
 * our vocabulary) and Qwen3's chat template, so `apply_chat_template` renders tool
 * conversations exactly as Qwen3 does.
 */
export function buildTokenizerFiles(trained: TrainedBpe, source: Qwen3TokenizerSource): TokenizerFiles {
  const base = trained.vocab.size;
  const added = addedTokensOf(source)
    .sort((a, b) => a.id - b.id)
    .map((t, i) => ({ ...t, id: base + i }));
  const qwenModel = source.tokenizer.model;
  if (!isRecord(qwenModel) || qwenModel.type !== 'BPE')
    throw new Error('Qwen3 tokenizer.json does not hold a BPE model');
  const chatTemplate = source.config.chat_template;
  if (typeof chatTemplate !== 'string') throw new Error('Qwen3 tokenizer_config.json has no chat_template');

  const tokenizer: Record<string, unknown> = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: source.tokenizer.normalizer,
    pre_tokenizer: source.tokenizer.pre_tokenizer,
    post_processor: source.tokenizer.post_processor,
    decoder: source.tokenizer.decoder,
    model: {
      ...qwenModel,
      vocab: Object.fromEntries(trained.vocab),
      merges: trained.merges,
    },
  };
  const config: Record<string, unknown> = {
    ...source.config,
    added_tokens_decoder: Object.fromEntries(added.map(({ id, ...rest }) => [String(id), rest])),
    chat_template: chatTemplate,
    model_max_length: 4096,
  };
  return { 'tokenizer.json': tokenizer, 'tokenizer_config.json': config };
}
