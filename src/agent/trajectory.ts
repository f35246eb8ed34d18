import { groupField, numberArrayField, type TrajectoryRecord } from '../sod/record';

export const stopReasons = ['answer', 'max_turns', 'max_tokens', 'cancelled', 'error'] as const;
export type StopReason = (typeof stopReasons)[number];

function isStopReason(value: string): value is StopReason {
  return stopReasons.some((r) => r === value);
}

export interface ToolCallRecord {
  /** The assistant turn that made the call (an index into `turn_spans`). */
  turn: number;
  code: string;
  output: string;
  /** The error the model was shown (Python error, time-out, malformed call), or null. */
  error: string | null;
  duration_ms: number;
}

/** One assistant turn: its [start, end) range in the response ids. */
export interface TurnSpan {
  start: number;
  end: number;
}

/** A finished rollout, with the field names of the trajectory JSONL that `sodp weights` reads. */
export interface Trajectory {
  task_id: string;
  group: string;
  question: string;
  reference_answer: string;
  prompt_ids: number[];
  response_ids: number[];
  /** 1 on tokens the student generated, 0 on inserted tool results and template glue. */
  mask: number[];
  /** log π(y_t) of the sampling policy, when a model produced the tokens. */
  student_logprobs?: number[];
  teacher_logprobs?: number[];
  turn_spans: TurnSpan[];
  tool_calls: ToolCallRecord[];
  answer: string | null;
  correct: boolean;
  reward: number;
  /** 1 (the prompt) + assistant turns + tool-response turns. */
  turns: number;
  stop_reason: StopReason;
  /** The response decoded, special tokens included. */
  text: string;
  timings: { generate_ms: number; tool_ms: number; total_ms: number };
  /** Why the rollout stopped with an error, when it did. */
  error?: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads a trajectory JSONL line back, naming the first field that is missing or mistyped. */
export function trajectoryFromRecord(record: TrajectoryRecord): Trajectory {
  const text = (name: string): string => {
    const v = record[name];
    if (typeof v !== 'string') throw new Error(`${name} must be a string`);
    return v;
  };
  const number = (name: string): number => {
    const v = record[name];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${name} must be a finite number`);
    return v;
  };
  const optionalNumbers = (name: string) => (record[name] === undefined ? undefined : numberArrayField(record, name));
  const toolCalls = record.tool_calls ?? [];
  if (!Array.isArray(toolCalls)) throw new Error('tool_calls must be a list');
  const stop = text('stop_reason');
  if (!isStopReason(stop))
    throw new Error(`stop_reason ${JSON.stringify(stop)} is not one of ${stopReasons.join(', ')}`);
  const spans = record.turn_spans ?? [];
  if (!Array.isArray(spans)) throw new Error('turn_spans must be a list');
  const timings = isRecord(record.timings) ? record.timings : {};
  return {
    task_id: text('task_id'),
    group: String(groupField(record)),
    question: typeof record.question === 'string' ? record.question : '',
    reference_answer: typeof record.reference_answer === 'string' ? record.reference_answer : '',
    prompt_ids: numberArrayField(record, 'prompt_ids'),
    response_ids: numberArrayField(record, 'response_ids'),
    mask: numberArrayField(record, 'mask'),
    student_logprobs: optionalNumbers('student_logprobs'),
    teacher_logprobs: optionalNumbers('teacher_logprobs'),
    turn_spans: spans.map((s: unknown, i) => {
      if (!isRecord(s) || typeof s.start !== 'number' || typeof s.end !== 'number')
        throw new Error(`turn_spans[${i}] must be {start, end}`);
      return { start: s.start, end: s.end };
    }),
    tool_calls: toolCalls.map((c: unknown, i) => {
      if (!isRecord(c) || typeof c.code !== 'string') throw new Error(`tool_calls[${i}].code must be a string`);
      return {
        // Files written before calls named their turn had one call per turn.
        turn: typeof c.turn === 'number' ? c.turn : i,
        code: c.code,
        output: typeof c.output === 'string' ? c.output : '',
        error: typeof c.error === 'string' ? c.error : null,
        duration_ms: typeof c.duration_ms === 'number' ? c.duration_ms : 0,
      };
    }),
    answer: typeof record.answer === 'string' ? record.answer : null,
    correct: record.correct === true,
    reward: number('reward'),
    turns: number('turns'),
    stop_reason: stop,
    text: typeof record.text === 'string' ? record.text : '',
    timings: {
      generate_ms: typeof timings.generate_ms === 'number' ? timings.generate_ms : 0,
      tool_ms: typeof timings.tool_ms === 'number' ? timings.tool_ms : 0,
      total_ms: typeof timings.total_ms === 'number' ? timings.total_ms : 0,
    },
  };
}
