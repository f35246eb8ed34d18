import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { editText, fuzz, fuzzTimeout, jsonMutations, mutatedJsonText, textEdits } from '../../tests/support/fuzz';
import { formatToolCall, parseToolCalls } from './tool-call';

/** Text a model may write, lone surrogates and stray markup included, without tool-call tags. */
const prose = fc
  .oneof(
    fc.string({ unit: 'binary', maxLength: 30 }),
    fc.constantFrom('\ud800', 'x\udfff', '<tool', 'tool_call>', '</tool_call', '<think>', '{"name": ', '\\', '"'),
  )
  .map((s) => s.replaceAll('<tool_call>', '').replaceAll('</tool_call>', ''));

const validCall = { name: 'code_interpreter', arguments: { code: 'print(6 * 7)' } };

/** One piece of a turn: prose, a tag on its own, a well-formed call, or a call whose JSON is broken or mutated. */
const piece = fc.oneof(
  { arbitrary: prose, weight: 3 },
  { arbitrary: fc.constantFrom('<tool_call>', '</tool_call>', '<tool_call><tool_call>', '\n'), weight: 2 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }).map((code) => formatToolCall(code)), weight: 2 },
  {
    arbitrary: jsonMutations.map((m) => `<tool_call>\n${mutatedJsonText(validCall, m)}\n</tool_call>`),
    weight: 3,
  },
  { arbitrary: textEdits.map((edits) => editText(formatToolCall('print(1)'), edits)), weight: 2 },
);

const turn = fc.array(piece, { minLength: 1, maxLength: 6 }).map((pieces) => pieces.join(''));

describe('tool calls in model text, fuzzed', () => {
  it(
    'every <tool_call> block comes back as code or as an error message for the model, never as an exception',
    async () => {
      await fuzz('parseToolCalls', turn, (text) => {
        const calls = parseToolCalls(text);
        expect(calls.length).toBeLessThanOrEqual(text.split('<tool_call>').length - 1);
        if (text.includes('<tool_call>')) expect(calls.length).toBeGreaterThan(0);
        for (const call of calls) {
          if (call.ok) expect(typeof call.code).toBe('string');
          else {
            expect(call.error).toMatch(/^Error: /);
            expect(call.error.length).toBeLessThanOrEqual(300);
          }
        }
        return calls.every((c) => c.ok);
      });
    },
    fuzzTimeout(),
  );

  it(
    'reads back any code formatted as a call, between any prose',
    async () => {
      const code = fc.string({ unit: 'binary', maxLength: 60 }).filter((c) => !c.includes('</tool_call>'));
      await fuzz(
        'parseToolCalls (round trip)',
        fc.tuple(prose, code, prose),
        ([before, source, after]) => {
          expect(parseToolCalls(`${before}${formatToolCall(source)}${after}`)).toEqual([{ ok: true, code: source }]);
          return true;
        },
        { needsBoth: false },
      );
    },
    fuzzTimeout(),
  );
});
