import { type ChatMessage, type ChatTokenizer, HfChatTokenizer } from './tokenizer';

export type { ChatMessage, ChatTokenizer } from './tokenizer';

/** The one tool: Python code run in the sandbox. */
export const codeInterpreterTool = {
  type: 'function',
  function: {
    name: 'code_interpreter',
    description:
      'Runs Python code in a sandbox and returns what it prints (and the value of a final expression). Use it to compute and to check results.',
    parameters: {
      type: 'object',
      properties: { code: { type: 'string', description: 'The Python code to run.' } },
      required: ['code'],
    },
  },
} as const;

/** The tokenizer of a model's parsed tokenizer.json and tokenizer_config.json (Node loads a folder with load-tokenizer.ts). */
export function tokenizerFromJson(tokenizerJson: unknown, tokenizerConfig: unknown): ChatTokenizer {
  return new HfChatTokenizer(tokenizerJson, tokenizerConfig);
}

const probe = ['\u0001probe-0\u0001', '\u0001probe-1\u0001'];

/** A run of the tool-result wrapper: a control token's id, or text. */
type Piece = { id: number } | { text: string };

/**
 * The model's chat format, taken from its own chat template: the prompt, and the exact
 * text the template renders for tool results followed by the assistant generation prompt.
 * Trajectories grow by appending these ids; the history is never re-rendered.
 */
export class ChatFormat {
  readonly endOfTurnId: number;
  /** The template's text before, between and after tool results, split at its control tokens. */
  private readonly wrapper: { before: Piece[]; between: Piece[]; after: Piece[] };

  constructor(
    readonly tokenizer: ChatTokenizer,
    /** Extra template options, e.g. { enable_thinking: false }. */
    readonly templateOptions: Record<string, unknown> = {},
  ) {
    const ids = tokenizer.encode('<|im_end|>', { add_special_tokens: false });
    if (ids.length !== 1)
      throw new Error('the tokenizer has no single <|im_end|> token: this is not a Qwen3 chat tokenizer');
    this.endOfTurnId = ids[0];
    const { before, between, after } = this.deriveToolWrapper();
    this.wrapper = { before: this.pieces(before), between: this.pieces(between), after: this.pieces(after) };
  }

  /** The prompt (system/user messages with the code_interpreter tool) and the assistant generation prompt, as ids. */
  promptIds(messages: ChatMessage[]): number[] {
    return this.tokenizer.encode(this.render(messages, true), { add_special_tokens: false });
  }

  /**
   * The ids of tool results after an assistant turn that ended with <|im_end|>: tool
   * message(s) and the next assistant header. The outputs are text only: one that prints
   * <|im_end|> or </tool_response> gets those characters, never the control tokens, so it
   * cannot end the turn or forge a message. Otherwise the ids are those of the rendered text.
   */
  observationIds(outputs: readonly string[]): number[] {
    if (outputs.length === 0) throw new Error('observationIds: no tool output');
    const pieces: Piece[] = [...this.wrapper.before];
    outputs.forEach((output, i) => {
      if (i > 0) pieces.push(...this.wrapper.between);
      pieces.push({ text: output });
    });
    pieces.push(...this.wrapper.after);
    // Text on both sides of an output is encoded with it, as the rendered text would be.
    const ids: number[] = [];
    let text = '';
    for (const piece of pieces) {
      if ('text' in piece) {
        text += piece.text;
        continue;
      }
      ids.push(...this.tokenizer.encodeText(text), piece.id);
      text = '';
    }
    ids.push(...this.tokenizer.encodeText(text));
    return ids;
  }

  /** The full rendering of a conversation (for tests and exports). */
  render(messages: ChatMessage[], addGenerationPrompt: boolean): string {
    const text = this.tokenizer.apply_chat_template(messages, {
      tools: [codeInterpreterTool],
      tokenize: false,
      add_generation_prompt: addGenerationPrompt,
      ...this.templateOptions,
    });
    if (typeof text !== 'string') throw new Error('apply_chat_template did not return text');
    return text;
  }

  decode(ids: readonly number[]): string {
    return this.tokenizer.decode([...ids], { skip_special_tokens: false });
  }

  /** Renders a probe conversation with and without tool results and keeps what the template puts around them. */
  private deriveToolWrapper(): { before: string; between: string; after: string } {
    // The assistant turn carries reasoning so the template renders it the same whether or not it is the last turn.
    const base: ChatMessage[] = [
      { role: 'user', content: 'u' },
      { role: 'assistant', content: '<think>\nr\n</think>\n\na' },
    ];
    const withoutTools = this.render(base, false);
    const turnEnd = withoutTools.lastIndexOf('<|im_end|>') + '<|im_end|>'.length;
    const withTools = this.render(
      [...base, { role: 'tool', content: probe[0] }, { role: 'tool', content: probe[1] }],
      true,
    );
    if (!withTools.startsWith(withoutTools.slice(0, turnEnd)))
      throw new Error('the chat template re-renders earlier turns when a tool result is added');
    const tail = withTools.slice(turnEnd);
    const first = tail.indexOf(probe[0]);
    const second = tail.indexOf(probe[1]);
    if (first < 0 || second < 0) throw new Error('the chat template does not render tool messages');
    return {
      before: tail.slice(0, first),
      between: tail.slice(first + probe[0].length, second),
      after: tail.slice(second + probe[1].length),
    };
  }

  /** Template text split at its control tokens: those whose text, encoded as plain text, is not that one token. */
  private pieces(text: string): Piece[] {
    const pieces: Piece[] = [];
    let from = 0;
    for (const id of this.tokenizer.encode(text, { add_special_tokens: false })) {
      const token = this.decode([id]);
      const plain = this.tokenizer.encodeText(token);
      if (plain.length === 1 && plain[0] === id) continue;
      const at = text.indexOf(token, from);
      if (at < 0) continue;
      if (at > from) pieces.push({ text: text.slice(from, at) });
      pieces.push({ id });
      from = at + token.length;
    }
    if (from < text.length) pieces.push({ text: text.slice(from) });
    return pieces;
  }
}
