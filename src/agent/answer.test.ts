import { describe, expect, it } from 'vitest';
import { answersMatch, extractBoxedAnswer } from './answer';
import { parseToolCalls } from './tool-call';

describe('extractBoxedAnswer', () => {
  it('takes the last \\boxed{…}, nested braces allowed', () => {
    expect(extractBoxedAnswer('first \\boxed{1}, then \\boxed{\\frac{3}{4}} done')).toBe('\\frac{3}{4}');
    expect(extractBoxedAnswer('\\boxed {x^{2}}')).toBe('x^{2}');
    expect(extractBoxedAnswer('no box here')).toBeNull();
    expect(extractBoxedAnswer('\\boxed{unclosed')).toBeNull();
  });
});

describe('answersMatch', () => {
  const equal: [string, string][] = [
    ['42', '42'],
    ['042', '42'],
    ['-7', '-7'],
    ['+7', '7'],
    ['3.50', '3.5'],
    ['0.5', '1/2'],
    ['\\frac{1}{2}', '0.5'],
    ['\\dfrac{6}{8}', '3/4'],
    ['1,234,567', '1234567'],
    [' 12 ', '12'],
    ['25\\%', '25'],
    ['2^{10}', '1024'],
    ['(2+3)*4', '20'],
    ['-\\frac{2}{4}', '-0.5'],
    ['1e3', '1000'],
    ['\\text{cats}', 'cats'],
  ];
  const unequal: [string, string][] = [
    ['42', '43'],
    ['0.333', '1/3'],
    ['1,23', '123'],
    ['-7', '7'],
    ['\\frac{1}{3}', '0.3333333'],
    ['abc', '12'],
    ['', '0'],
  ];
  for (const [a, b] of equal) it(`${a} equals ${b}`, () => expect(answersMatch(a, b)).toBe(true));
  for (const [a, b] of unequal) it(`${a} differs from ${b}`, () => expect(answersMatch(a, b)).toBe(false));
  it('never matches a missing answer', () => expect(answersMatch(null, '1')).toBe(false));
});

describe('parseToolCalls', () => {
  it('reads every call of a turn and reports an unclosed one', () => {
    const text =
      'a <tool_call>\n{"name": "code_interpreter", "arguments": {"code": "print(1)"}}\n</tool_call> b <tool_call>{"name": "code_interpreter", "arguments": "{\\"code\\": \\"2\\"}"}</tool_call> <tool_call>{"x"';
    expect(parseToolCalls(text)).toEqual([
      { ok: true, code: 'print(1)' },
      { ok: true, code: '2' },
      { ok: false, error: 'Error: the <tool_call> block was not closed with </tool_call>.' },
    ]);
  });
  // Found by tool-call.fuzz.test.ts: quoting the name threw a RangeError out of the rollout, or quoted it whole.
  it('answers a tool name it cannot quote whole with a short error, not an exception', () => {
    const deep = `${'['.repeat(12_000)}${']'.repeat(12_000)}`;
    expect(parseToolCalls(`<tool_call>{"name": ${deep}, "arguments": {}}</tool_call>`)).toEqual([
      { ok: false, error: 'Error: unknown tool an array nested too deep; the only tool is "code_interpreter".' },
    ]);
    expect(parseToolCalls(`<tool_call>{"name": "${'x'.repeat(1000)}"}</tool_call>`)).toEqual([
      { ok: false, error: `Error: unknown tool "${'x'.repeat(78)}…; the only tool is "code_interpreter".` },
    ]);
  });
});
