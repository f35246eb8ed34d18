import { describeJson } from '../core/json';

/** One <tool_call> block of an assistant turn: the code to run, or why it cannot run. */
export type ParsedToolCall = { ok: true; code: string } | { ok: false; error: string };

const callPattern = /<tool_call>([\s\S]*?)(<\/tool_call>|$)/g;

/**
 * Hermes-style calls as Qwen3 writes them: <tool_call>{"name": "code_interpreter",
 * "arguments": {"code": "…"}}</tool_call>. Malformed JSON, another tool's name or a missing
 * `code` come back as errors for the model to read, never as exceptions.
 */
export function parseToolCalls(turnText: string, toolName = 'code_interpreter'): ParsedToolCall[] {
  const calls: ParsedToolCall[] = [];
  for (const match of turnText.matchAll(callPattern)) {
    const body = match[1].trim();
    if (match[2] === '') {
      calls.push({ ok: false, error: 'Error: the <tool_call> block was not closed with </tool_call>.' });
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch (err) {
      calls.push({
        ok: false,
        error: `Error: the tool call is not valid JSON (${err instanceof Error ? err.message : String(err)}).`,
      });
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      calls.push({ ok: false, error: 'Error: the tool call must be a JSON object with "name" and "arguments".' });
      continue;
    }
    const call = Object.fromEntries(Object.entries(value));
    if (call.name !== toolName) {
      calls.push({
        ok: false,
        error: `Error: unknown tool ${describeJson(call.name)}; the only tool is "${toolName}".`,
      });
      continue;
    }
    let args = call.arguments;
    if (typeof args === 'string') {
      try {
        args = JSON.parse(args);
      } catch {
        // Handled below as a missing code field.
      }
    }
    const code =
      typeof args === 'object' && args !== null && !Array.isArray(args)
        ? Object.fromEntries(Object.entries(args)).code
        : undefined;
    if (typeof code !== 'string') {
      calls.push({ ok: false, error: 'Error: the tool call needs "arguments": {"code": "<python code>"}.' });
      continue;
    }
    calls.push({ ok: true, code });
  }
  return calls;
}

/** A call as Qwen3 writes it (the chat template's own spacing), for scripted and demo turns. */
export function formatToolCall(code: string, toolName = 'code_interpreter'): string {
  return `<tool_call>\n{"name": ${JSON.stringify(toolName)}, "arguments": {"code": ${JSON.stringify(code)}}}\n</tool_call>`;
}
