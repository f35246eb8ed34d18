import type { ToolSandbox } from '../tools/sandbox';
import type { ChatFormat } from './chat';
import type { Policy } from '../core/policy';
import { runRollout, type RolloutLimits } from './rollout';
import type { Task } from './tasks/task';
import type { Trajectory } from './trajectory';

export interface EvaluationSummary {
  n: number;
  correct: number;
  accuracy: number;
  mean_reward: number;
  mean_tool_calls: number;
  stop_reasons: Record<string, number>;
}

/** Solves each task greedily (temperature 0) with the tool; `onResult` sees each trajectory as it ends. */
export async function evaluateGreedy(request: {
  policy: Policy;
  chat: ChatFormat;
  sandbox: ToolSandbox;
  tasks: readonly Task[];
  limits?: Partial<RolloutLimits>;
  signal?: AbortSignal;
  onResult?: (t: Trajectory, index: number) => void;
}): Promise<Trajectory[]> {
  const { policy, chat, sandbox, tasks, limits } = request;
  const out: Trajectory[] = [];
  for (const [i, task] of tasks.entries()) {
    const sampling = {
      temperature: 0,
      topP: 1,
      topK: 0,
      seed: 0,
      maxNewTokens: limits?.maxTurnTokens ?? 1024,
      stopTokenIds: [],
      stopStrings: [],
    };
    const trajectory = await runRollout({
      task,
      group: task.id,
      policy,
      recordLogprobs: true,
      chat,
      sandbox,
      sampling,
      limits,
      session: `eval-${i}`,
      signal: request.signal,
    });
    out.push(trajectory);
    request.onResult?.(trajectory, i);
  }
  return out;
}

/** Accuracy, mean reward, tool use and how trajectories ended. */
export function summarize(trajectories: readonly Trajectory[]): EvaluationSummary {
  const n = trajectories.length;
  const correct = trajectories.filter((t) => t.correct).length;
  const stopReasons: Record<string, number> = {};
  for (const t of trajectories) stopReasons[t.stop_reason] = (stopReasons[t.stop_reason] ?? 0) + 1;
  return {
    n,
    correct,
    accuracy: n > 0 ? correct / n : 0,
    mean_reward: n > 0 ? trajectories.reduce((s, t) => s + t.reward, 0) / n : 0,
    mean_tool_calls: n > 0 ? trajectories.reduce((s, t) => s + t.tool_calls.length, 0) / n : 0,
    stop_reasons: stopReasons,
  };
}
