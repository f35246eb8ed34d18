import type { ToolSandbox } from '../tools/sandbox';
import { outcomeReward } from '../sod/reward';
import { answersMatch, extractBoxedAnswer } from './answer';
import type { ChatFormat } from './chat';
import type { Policy, SamplingSettings } from '../core/policy';
import { problemMessages } from './prompt';
import type { Task } from './tasks/task';
import { parseToolCalls } from './tool-call';
import type { StopReason, ToolCallRecord, Trajectory } from './trajectory';

export interface RolloutLimits {
  /** Assistant turns at most. Default 16. */
  maxTurns: number;
  /** New tokens per assistant turn. Default 1024. */
  maxTurnTokens: number;
  /**
   * Response tokens in all (generated and inserted). Default 4096. The policy's context
   * length bounds it too: a trajectory never outgrows what the model can attend to.
   */
  maxTotalTokens: number;
}

export const defaultRolloutLimits: RolloutLimits = { maxTurns: 16, maxTurnTokens: 1024, maxTotalTokens: 4096 };

/** What a UI can show while a rollout runs. */
export type RolloutEvent =
  | { kind: 'token'; id: number; text: string; logprob: number }
  | { kind: 'tool-start'; code: string }
  | { kind: 'tool-end'; call: ToolCallRecord }
  | { kind: 'turn-end'; turn: number };

export interface RolloutRequest {
  task: Task;
  group: string;
  policy: Policy;
  /** Whether the policy's log-probs are real (a model) and belong in the trajectory. */
  recordLogprobs: boolean;
  chat: ChatFormat;
  sandbox: ToolSandbox;
  sampling: SamplingSettings;
  limits?: Partial<RolloutLimits>;
  /** Distinguishes sandbox sessions of concurrent rollouts. */
  session: string;
  signal?: AbortSignal;
  onEvent?: (event: RolloutEvent) => void;
}

/**
 * Tool-integrated reasoning for one problem: the student writes a turn up to its own
 * <|im_end|> (mask 1); each tool call runs in the sandbox and its result comes back as the
 * chat template's tool message plus the next assistant header (mask 0); a turn without a
 * call ends the trajectory. Ids are only ever appended.
 */
export async function runRollout(request: RolloutRequest): Promise<Trajectory> {
  const started = performance.now();
  const limits = { ...defaultRolloutLimits, ...request.limits };
  const { chat, sandbox, task } = request;
  const promptIds = chat.promptIds(problemMessages(task.question));
  const response: number[] = [];
  const mask: number[] = [];
  const logprobs: number[] = [];
  const turnSpans: { start: number; end: number }[] = [];
  const toolCalls: ToolCallRecord[] = [];
  let toolTurns = 0;
  let generateMs = 0;
  let toolMs = 0;
  let stop: StopReason = 'max_turns';
  let error: string | undefined;
  const maxResponse = Math.min(
    limits.maxTotalTokens,
    (request.policy.contextLength ?? Number.POSITIVE_INFINITY) - promptIds.length,
  );

  try {
    for (let turn = 0; turn < limits.maxTurns; turn++) {
      const room = maxResponse - response.length;
      if (room <= 0) {
        stop = 'max_tokens';
        break;
      }
      const start = response.length;
      const t0 = performance.now();
      let ended = false;
      const stream = request.policy.generate({
        inputIds: [...promptIds, ...response],
        sampling: {
          ...request.sampling,
          maxNewTokens: Math.min(limits.maxTurnTokens, room),
          stopTokenIds: [chat.endOfTurnId],
        },
        signal: request.signal,
      });
      for await (const token of stream) {
        response.push(token.id);
        mask.push(1);
        logprobs.push(token.logprob);
        request.onEvent?.({ kind: 'token', id: token.id, text: chat.decode([token.id]), logprob: token.logprob });
        if (token.id === chat.endOfTurnId) {
          ended = true;
          break;
        }
      }
      generateMs += performance.now() - t0;
      turnSpans.push({ start, end: response.length });
      request.onEvent?.({ kind: 'turn-end', turn });
      if (request.signal?.aborted) {
        stop = 'cancelled';
        break;
      }
      if (!ended) {
        stop = 'max_tokens';
        break;
      }
      const calls = parseToolCalls(chat.decode(response.slice(start)));
      if (calls.length === 0) {
        stop = 'answer';
        break;
      }
      const outputs: string[] = [];
      for (const call of calls) {
        const t1 = performance.now();
        let record: ToolCallRecord;
        if (call.ok) {
          request.onEvent?.({ kind: 'tool-start', code: call.code });
          const run = await sandbox.run(call.code, request.session, request.signal);
          record = { turn, code: call.code, output: run.output, error: run.error, duration_ms: run.durationMs };
        } else {
          record = { turn, code: '', output: '', error: call.error, duration_ms: 0 };
        }
        toolMs += performance.now() - t1;
        toolCalls.push(record);
        request.onEvent?.({ kind: 'tool-end', call: record });
        outputs.push(observationText(record));
      }
      const observation = chat.observationIds(outputs);
      // A tool result too long for what is left (a printed power of thousands of digits) ends
      // the trajectory here, rather than growing it past the limit.
      if (response.length + observation.length >= maxResponse) {
        stop = 'max_tokens';
        break;
      }
      response.push(...observation);
      mask.push(...observation.map(() => 0));
      logprobs.push(...observation.map(() => 0));
      toolTurns++;
    }
  } catch (err) {
    stop = request.signal?.aborted ? 'cancelled' : 'error';
    if (stop === 'error') error = err instanceof Error ? err.message : String(err);
  } finally {
    await sandbox.endSession(request.session);
  }

  const text = chat.decode(response);
  const answer = extractBoxedAnswer(text);
  const correct = answersMatch(answer, task.answer);
  const turns = 1 + turnSpans.length + toolTurns;
  return {
    task_id: task.id,
    group: request.group,
    question: task.question,
    reference_answer: task.answer,
    prompt_ids: promptIds,
    response_ids: response,
    mask,
    ...(request.recordLogprobs ? { student_logprobs: logprobs } : {}),
    turn_spans: turnSpans,
    tool_calls: toolCalls,
    answer,
    correct,
    reward: outcomeReward(correct, turns),
    turns,
    stop_reason: stop,
    text,
    timings: { generate_ms: generateMs, tool_ms: toolMs, total_ms: performance.now() - started },
    ...(error !== undefined ? { error } : {}),
  };
}

/** What the model reads back from one tool call: its output, then the error if there was one. */
export function observationText(call: ToolCallRecord): string {
  const parts = [call.output.replace(/\n$/, '')];
  if (call.error !== null) parts.push(call.error.replace(/\n$/, ''));
  return parts.filter((p) => p !== '').join('\n') || '(no output)';
}
