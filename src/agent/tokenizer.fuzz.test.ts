import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  editText,
  fuzz,
  fuzzTimeout,
  jsonMutations,
  mutatedJson,
  outcomeOf,
  textEdits,
} from '../../tests/support/fuzz';
import { type ChatMessage, codeInterpreterTool } from './chat';
import { loadTokenizer } from './load-tokenizer';
import { HfChatTokenizer } from './tokenizer';

const folder = new URL('../../public/models/tiny-qwen3-student/', import.meta.url);
const jsonText = readFileSync(new URL('tokenizer.json', folder), 'utf8');
const configText = readFileSync(new URL('tokenizer_config.json', folder), 'utf8');
const tokenizerJson: unknown = JSON.parse(jsonText);
const tokenizerConfig: unknown = JSON.parse(configText);

const messages: ChatMessage[] = [
  { role: 'user', content: 'What is 6 × 7?' },
  {
    role: 'assistant',
    content: '',
    tool_calls: [{ type: 'function', function: { name: 'code_interpreter', arguments: { code: 'print(6 * 7)' } } }],
  },
  { role: 'tool', content: '42' },
];
const probe = 'What is 6 × 7? <tool_call>\n{"name": "code_interpreter"}\n</tool_call><|im_end|> \ud800';

/** Either file mutated, or both. */
const files = fc.oneof(
  jsonMutations.map((m) => ({ json: mutatedJson(tokenizerJson, m), config: tokenizerConfig })),
  jsonMutations.map((m) => ({ json: tokenizerJson, config: mutatedJson(tokenizerConfig, m) })),
  fc
    .tuple(jsonMutations, jsonMutations)
    .map(([a, b]) => ({ json: mutatedJson(tokenizerJson, a), config: mutatedJson(tokenizerConfig, b) })),
);

describe('tokenizer.json and tokenizer_config.json, fuzzed', () => {
  it(
    'mutated files give a tokenizer that encodes, decodes and renders the chat, or are refused naming the file',
    async () => {
      await fuzz('tokenizer files', files, async ({ json, config }) => {
        const result = await outcomeOf(() => {
          const tokenizer = new HfChatTokenizer(json, config);
          const ids = tokenizer.encode(probe, { add_special_tokens: false });
          return {
            ids,
            plain: tokenizer.encodeText(probe),
            text: tokenizer.decode(ids),
            chat: tokenizer.apply_chat_template(messages, {
              add_generation_prompt: true,
              tools: [codeInterpreterTool],
            }),
          };
        }, ['tokenizer.json', 'tokenizer_config.json']);
        if (!result.ok) return false;
        for (const id of [...result.value.ids, ...result.value.plain])
          expect(Number.isSafeInteger(id) && id >= 0, `id ${id}`).toBe(true);
        expect(typeof result.value.text).toBe('string');
        expect(typeof result.value.chat).toBe('string');
        return true;
      });
    },
    fuzzTimeout(20),
  );

  it(
    'a model folder whose tokenizer files are edited as text loads, or is refused naming the folder and the file',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'sodp-fuzz-tokenizer-'));
      const texts = fc.oneof(
        textEdits.map((edits) => ({ json: editText(jsonText, edits), config: configText })),
        textEdits.map((edits) => ({ json: jsonText, config: editText(configText, edits) })),
      );
      try {
        await fuzz('tokenizer files (text, loadTokenizer)', texts, async ({ json, config }) => {
          writeFileSync(join(dir, 'tokenizer.json'), json);
          writeFileSync(join(dir, 'tokenizer_config.json'), config);
          const result = await outcomeOf(async () => {
            const tokenizer = await loadTokenizer(dir);
            return tokenizer.decode(tokenizer.encode(probe, { add_special_tokens: false }));
          }, [`${dir}/tokenizer.json`, `${dir}/tokenizer_config.json`]);
          return result.ok;
        });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    fuzzTimeout(20),
  );

  it(
    "decodes any ids a model may sample, none included, past the tokenizer's vocabulary too",
    async () => {
      const tokenizer = new HfChatTokenizer(tokenizerJson, tokenizerConfig);
      // Qwen3 pads its embedding past the tokenizer's ids; a student may sample any of them.
      const ids = fc.array(fc.integer({ min: 0, max: 800 }), { maxLength: 8 });
      await fuzz(
        'tokenizer decode',
        ids,
        (list) => {
          expect(typeof tokenizer.decode(list)).toBe('string');
          return true;
        },
        { needsBoth: false },
      );
    },
    fuzzTimeout(),
  );
});
