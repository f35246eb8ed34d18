/**
 * A model's tokenizer and chat template from its tokenizer.json and tokenizer_config.json,
 * on @huggingface/tokenizers and @huggingface/jinja: the same two libraries transformers.js
 * builds its tokenizers on, without its model code or the ONNX runtime, so the student
 * worker stays small. tokenizer.test.ts checks it against transformers.js id for id.
 */
import { Template } from '@huggingface/jinja';
import { Tokenizer } from '@huggingface/tokenizers';
import { describeJson } from '../core/json';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  tool_calls?: { type: 'function'; function: { name: string; arguments: Record<string, unknown> } }[];
}

/** What the chat format needs of a tokenizer (this module's HfChatTokenizer; transformers.js' PreTrainedTokenizer has all but encodeText). */
export interface ChatTokenizer {
  encode(text: string, options: { add_special_tokens: boolean }): number[];
  /** `text` with every character as text: no added or special token is matched (for tool output). */
  encodeText(text: string): number[];
  decode(ids: number[], options?: { skip_special_tokens?: boolean }): string;
  apply_chat_template(messages: ChatMessage[], options: Record<string, unknown>): unknown;
}

/** The special-token attributes of tokenizer_config.json that chat templates may read (bos_token, eos_token, …). */
const specialTokenKeys = [
  'bos_token',
  'eos_token',
  'unk_token',
  'sep_token',
  'pad_token',
  'cls_token',
  'mask_token',
] as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A special token's text: configs write it as a string or as `{ "__type": "AddedToken", "content": … }`. */
function tokenText(value: unknown, key: string, configName: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return value;
  if (isRecord(value) && typeof value.content === 'string') return value.content;
  throw new Error(`${configName}: ${key} is neither a string nor an added token`);
}

/** An error's message, cut short (a library may quote a whole field in it). */
function messageOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.length > 300 ? `${message.slice(0, 299)}…` : message;
}

/**
 * Runs a call into @huggingface/tokenizers or @huggingface/jinja. They read the files' fields
 * without checking them, so a malformed file surfaces as whatever they throw (a TypeError, an
 * "Unknown Normalizer type"); this names the file, and what was being done, in front of it.
 */
function reading<T>(what: string, call: () => T): T {
  try {
    return call();
  } catch (err) {
    throw new Error(`${what} (${messageOf(err)})`);
  }
}

/**
 * `text` as plain text: no added token (<|im_end|>, <tool_response>, …) is matched, so a
 * tool's output that prints one cannot end a turn or forge a message. Otherwise what
 * encode(text, { add_special_tokens: false }) does to text without added tokens: the same
 * normalizer, pre-tokenizer and model (tokenizer.test.ts checks both agree).
 */
export function encodeAsText(tokenizer: Tokenizer, text: string): number[] {
  const { normalizer, pre_tokenizer, model } = tokenizer;
  if (model === null) throw new Error('tokenizer.json has no model');
  const normalized = normalizer === null ? text : normalizer._call(text);
  if (normalized.length === 0) return [];
  const words = pre_tokenizer === null ? [normalized] : pre_tokenizer._call(normalized, { section_index: 0 });
  return model._call(words).map((token) => {
    const id = model.tokens_to_ids.get(token) ?? model.unk_token_id;
    if (id === undefined || !Number.isSafeInteger(id) || id < 0)
      throw new Error(`${describeJson(token, 40)} has id ${describeJson(id)}, not a token id`);
    return id;
  });
}

/** Encodes, decodes and renders chats exactly as transformers.js' PreTrainedTokenizer does for the same files. */
export class HfChatTokenizer implements ChatTokenizer {
  private readonly tokenizer: Tokenizer;
  private readonly template: Template | undefined;
  /** bos_token, eos_token, … as the template sees them (only those the config sets). */
  private readonly specialTokens: Readonly<Record<string, string>>;
  /** The two files as messages name them: in their folder, when it is given. */
  private readonly jsonName: string;
  private readonly configName: string;

  constructor(tokenizerJson: unknown, tokenizerConfig: unknown, folder?: string) {
    const jsonName = folder === undefined ? 'tokenizer.json' : `${folder}/tokenizer.json`;
    const configName = folder === undefined ? 'tokenizer_config.json' : `${folder}/tokenizer_config.json`;
    this.jsonName = jsonName;
    this.configName = configName;
    if (!isRecord(tokenizerJson)) throw new Error(`${jsonName} is not a JSON object`);
    if (!isRecord(tokenizerConfig)) throw new Error(`${configName} is not a JSON object`);
    const extra = tokenizerConfig.additional_special_tokens;
    if (extra !== undefined && extra !== null && !(Array.isArray(extra) && extra.every((t) => typeof t === 'string')))
      throw new Error(`${configName}: additional_special_tokens is not a list of strings`);
    this.tokenizer = reading(
      `${jsonName}: @huggingface/tokenizers cannot build the tokenizer it describes`,
      () => new Tokenizer(tokenizerJson, tokenizerConfig),
    );
    const source = tokenizerConfig.chat_template;
    // Qwen3 ships one template as a string (some other models ship a list of named ones).
    if (source !== undefined && source !== null && typeof source !== 'string')
      throw new Error(`${configName}: chat_template is not a single template`);
    // Compiled now, so a broken template is reported when the model loads, not at its first prompt.
    this.template =
      source === undefined || source === null
        ? undefined
        : reading(`${configName}: chat_template is not a valid Jinja template`, () => new Template(source));
    const special: Record<string, string> = {};
    for (const key of specialTokenKeys) {
      const text = tokenText(tokenizerConfig[key], key, configName);
      if (text !== undefined) special[key] = text;
    }
    this.specialTokens = special;
  }

  encode(text: string, options: { add_special_tokens: boolean }): number[] {
    const { ids, tokens } = reading(`${this.jsonName}: cannot encode ${describeJson(text, 40)}`, () =>
      this.tokenizer.encode(text, { add_special_tokens: options.add_special_tokens }),
    );
    // The library passes on whatever the vocabulary maps a piece to: undefined when it lacks
    // the piece and there is no unk_token, or any JSON value the file holds there.
    const bad = ids.findIndex((id) => !Number.isSafeInteger(id) || id < 0);
    if (bad >= 0)
      throw new Error(
        `${this.jsonName}: ${describeJson(tokens[bad], 40)} has id ${describeJson(ids[bad])}, not a token id (the vocabulary or added_tokens lacks it or holds something else)`,
      );
    return ids;
  }

  encodeText(text: string): number[] {
    return reading(`${this.jsonName}: cannot encode ${describeJson(text, 40)} as text`, () =>
      encodeAsText(this.tokenizer, text),
    );
  }

  decode(ids: number[], options: { skip_special_tokens?: boolean } = {}): string {
    // @huggingface/tokenizers refuses an empty list; nothing decodes to nothing.
    if (ids.length === 0) return '';
    return reading(`${this.jsonName}: cannot decode ${describeJson(ids, 40)}`, () =>
      this.tokenizer.decode(ids, { skip_special_tokens: options.skip_special_tokens ?? false }),
    );
  }

  /**
   * The chat template rendered as text. Template variables: `messages`, `tools` and
   * `documents` (null when not given), `add_generation_prompt` (false when not given), the
   * config's special tokens, then every other option (e.g. `enable_thinking`) as given.
   * It renders the config's template only and never tokenizes: `tokenize` must be false or
   * absent (callers encode the text) and `chat_template` absent.
   */
  apply_chat_template(messages: ChatMessage[], options: Record<string, unknown> = {}): string {
    const { tools = null, documents = null, add_generation_prompt = false, tokenize = false, ...variables } = options;
    if (tokenize !== false) throw new Error('apply_chat_template renders text only: pass tokenize: false');
    if ('chat_template' in variables) throw new Error("apply_chat_template renders the tokenizer's own template only");
    const template = this.template;
    if (template === undefined) throw new Error(`${this.configName} has no chat_template`);
    return reading(`${this.configName}: chat_template failed to render`, () =>
      template.render({
        messages,
        add_generation_prompt,
        tools,
        documents,
        ...this.specialTokens,
        ...variables,
      }),
    );
  }
}
