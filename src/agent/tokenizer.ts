/**
 * A model's tokenizer and chat template from its tokenizer.json and tokenizer_config.json,
 * on @huggingface/tokenizers and @huggingface/jinja: the same two libraries transformers.js
 * builds its tokenizers on, without its model code or the ONNX runtime, so the student
 * worker stays small. tokenizer.test.ts checks it against transformers.js id for id.
 */
import { Template } from '@huggingface/jinja';
import { Tokenizer } from '@huggingface/tokenizers';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  tool_calls?: { type: 'function'; function: { name: string; arguments: Record<string, unknown> } }[];
}

/** What the chat format needs of a tokenizer (this module's HfChatTokenizer; transformers.js' PreTrainedTokenizer has it too). */
export interface ChatTokenizer {
  encode(text: string, options: { add_special_tokens: boolean }): number[];
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
function tokenText(value: unknown, key: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return value;
  if (isRecord(value) && typeof value.content === 'string') return value.content;
  throw new Error(`tokenizer_config.json: ${key} is neither a string nor an added token`);
}

/** Encodes, decodes and renders chats exactly as transformers.js' PreTrainedTokenizer does for the same files. */
export class HfChatTokenizer implements ChatTokenizer {
  private readonly tokenizer: Tokenizer;
  /** The chat template, compiled on first use. */
  private template: Template | undefined;
  private readonly templateSource: string | undefined;
  /** bos_token, eos_token, … as the template sees them (only those the config sets). */
  private readonly specialTokens: Readonly<Record<string, string>>;

  constructor(tokenizerJson: unknown, tokenizerConfig: unknown) {
    if (!isRecord(tokenizerJson)) throw new Error('tokenizer.json is not a JSON object');
    if (!isRecord(tokenizerConfig)) throw new Error('tokenizer_config.json is not a JSON object');
    this.tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig);
    const source = tokenizerConfig.chat_template;
    // Qwen3 ships one template as a string (some other models ship a list of named ones).
    if (source !== undefined && source !== null && typeof source !== 'string')
      throw new Error('tokenizer_config.json: chat_template is not a single template');
    this.templateSource = source ?? undefined;
    const special: Record<string, string> = {};
    for (const key of specialTokenKeys) {
      const text = tokenText(tokenizerConfig[key], key);
      if (text !== undefined) special[key] = text;
    }
    this.specialTokens = special;
  }

  encode(text: string, options: { add_special_tokens: boolean }): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: options.add_special_tokens }).ids;
  }

  decode(ids: number[], options: { skip_special_tokens?: boolean } = {}): string {
    return this.tokenizer.decode(ids, { skip_special_tokens: options.skip_special_tokens ?? false });
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
    if (this.templateSource === undefined) throw new Error('tokenizer_config.json has no chat_template');
    this.template ??= new Template(this.templateSource);
    return this.template.render({
      messages,
      add_generation_prompt,
      tools,
      documents,
      ...this.specialTokens,
      ...variables,
    });
  }
}
