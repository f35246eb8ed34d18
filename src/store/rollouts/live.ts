import type { Task } from '../../agent/tasks/task';
import type { PlaygroundTrajectory, RolloutProgress } from '../../workers/protocols';

/** What a trajectory looks like while it is written: the student's text, with tool runs inline. */
export type LiveSegment =
  | { kind: 'text'; text: string }
  | { kind: 'tool'; code: string; output?: string; error?: string | null };

export interface LiveTrajectory {
  index: number;
  task: Task;
  segments: LiveSegment[];
  /** Generated tokens so far. */
  tokens: number;
  status: 'waiting' | 'running' | 'done';
  result?: PlaygroundTrajectory;
}

/** One slot per (task, sample), in the order the worker runs them. */
export function waitingTrajectories(tasks: readonly Task[], groupSize: number): LiveTrajectory[] {
  return tasks.flatMap((task, i) =>
    Array.from(
      { length: groupSize },
      (_, g): LiveTrajectory => ({ index: i * groupSize + g, task, segments: [], tokens: 0, status: 'waiting' }),
    ),
  );
}

/** Applies a batch of worker progress messages; returns a new array (the old one is not changed). */
export function applyProgress(live: readonly LiveTrajectory[], messages: readonly RolloutProgress[]): LiveTrajectory[] {
  const out = [...live];
  const touch = (index: number): LiveTrajectory | undefined => {
    const t = out[index];
    if (t === undefined) return undefined;
    const copy: LiveTrajectory = { ...t, segments: [...t.segments] };
    out[index] = copy;
    return copy;
  };
  for (const m of messages) {
    if (m.kind === 'phase') continue;
    const t = touch(m.index);
    if (t === undefined) continue;
    if (m.kind === 'trajectory') {
      t.status = 'done';
      t.result = m.trajectory;
      continue;
    }
    t.status = 'running';
    const e = m.event;
    const last = t.segments[t.segments.length - 1];
    if (e.kind === 'token') {
      t.tokens++;
      if (last?.kind === 'text') t.segments[t.segments.length - 1] = { kind: 'text', text: last.text + e.text };
      else t.segments.push({ kind: 'text', text: e.text });
    } else if (e.kind === 'tool-start') {
      t.segments.push({ kind: 'tool', code: e.code });
    } else if (e.kind === 'tool-end' && last?.kind === 'tool') {
      t.segments[t.segments.length - 1] = { ...last, output: e.call.output, error: e.call.error };
    }
  }
  return out;
}

/** Collects progress messages and hands them over at most every `ms`, so a fast model does not re-render per token. */
export function progressBuffer(
  flush: (messages: RolloutProgress[]) => void,
  ms = 50,
): { push(m: RolloutProgress): void; flushNow(): void } {
  let pending: RolloutProgress[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flushNow = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    flush(batch);
  };
  return {
    push(m) {
      pending.push(m);
      timer ??= setTimeout(flushNow, ms);
    },
    flushNow,
  };
}
