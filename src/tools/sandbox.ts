import { ManagedWorker, type WorkerLike } from '../workers/worker-client';
import { WorkerCrashedError } from '../workers/rpc';
import type { RunResult, SandboxProtocol } from './protocol';

export interface SandboxSettings {
  /** A call running longer is stopped: the worker is terminated and replaced. Default 10 s. */
  timeoutMs: number;
  /** Output beyond this is cut and marked. Default 2,000 characters. */
  maxOutputChars: number;
}

export const defaultSandboxSettings: SandboxSettings = { timeoutMs: 10_000, maxOutputChars: 2_000 };

/** One tool call's outcome as the agent sees it. */
export interface ToolRun {
  output: string;
  /** The error text (Python exception, time-out, crash), or null. */
  error: string | null;
  timedOut: boolean;
  truncated: boolean;
  durationMs: number;
}

/**
 * Python for model-written code, in its own worker: calls are queued one at a time on one
 * warm interpreter, each trajectory (session) gets fresh globals, a call past the time
 * limit or a crash ends the worker and the next call starts a new one.
 */
export class PythonSandbox {
  private readonly worker: ManagedWorker<SandboxProtocol>;
  private queue: Promise<unknown> = Promise.resolve();
  readonly settings: SandboxSettings;

  constructor(spawn: () => WorkerLike, settings: Partial<SandboxSettings> = {}) {
    this.worker = new ManagedWorker<SandboxProtocol>('python sandbox', spawn);
    this.settings = { ...defaultSandboxSettings, ...settings };
  }

  /** Workers started so far (1 + restarts after time-outs and crashes). */
  get workerStarts(): number {
    return this.worker.starts;
  }

  /** Loads Python now rather than on the first call; returns its version. */
  async warmUp(): Promise<string> {
    return (await this.worker.call('warmUp', null)).version;
  }

  /** Runs `code` in `session`; never throws for anything the code does. */
  run(code: string, session: string, signal?: AbortSignal): Promise<ToolRun> {
    const next = this.queue.then(() => this.runNow(code, session, signal));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Forgets a trajectory's globals. */
  async endSession(session: string): Promise<void> {
    await (this.queue = this.queue.then(() => this.worker.call('endSession', { session })).catch(() => undefined));
  }

  dispose(): void {
    this.worker.dispose();
  }

  private async runNow(code: string, session: string, signal?: AbortSignal): Promise<ToolRun> {
    const started = performance.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const limitSeconds = this.settings.timeoutMs / 1000;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.settings.timeoutMs);
    });
    const call = this.worker.call('run', { code, session, maxOutputChars: this.settings.maxOutputChars }, { signal });
    try {
      const result: RunResult | 'timeout' = await Promise.race([call, timeout]);
      if (result === 'timeout') {
        this.worker.restart(`the code ran past ${limitSeconds} s`);
        await call.catch(() => undefined);
        return { output: '', error: `TimeoutError: the code did not finish within ${limitSeconds} s and was stopped`, timedOut: true, truncated: false, durationMs: performance.now() - started };
      }
      return { output: result.output, error: result.error, timedOut: false, truncated: result.truncated, durationMs: result.durationMs };
    } catch (err) {
      const message = err instanceof WorkerCrashedError ? err.message : `${err instanceof Error ? err.name : 'Error'}: ${err instanceof Error ? err.message : String(err)}`;
      return { output: '', error: `SandboxError: ${message}`, timedOut: false, truncated: false, durationMs: performance.now() - started };
    } finally {
      clearTimeout(timer);
    }
  }
}
