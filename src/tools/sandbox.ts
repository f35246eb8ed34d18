import { ManagedWorker, type WorkerLike } from '../core/rpc/worker-client';
import { RemoteError, WorkerCrashedError } from '../core/rpc/rpc';
import type { SandboxProtocol } from './protocol';

export interface SandboxSettings {
  /** A call running longer is stopped: the worker is terminated and replaced. Default 10 s. */
  timeoutMs: number;
  /** Output beyond this is cut and marked. Default 2,000 characters. */
  maxOutputChars: number;
  /**
   * The interpreter's heap may not grow past this while code runs: an allocation beyond it
   * raises MemoryError and the worker is replaced (a wasm heap never shrinks). Default 512 MB.
   */
  maxMemoryMb: number;
  /**
   * Loading Python in a fresh worker (first call, or after a time-out or crash) has its own,
   * longer limit: the code's limit starts only once the interpreter is ready, so a slow
   * start on a busy machine is never charged to the model's code. Default 120 s.
   */
  loadTimeoutMs: number;
}

export const defaultSandboxSettings: SandboxSettings = {
  timeoutMs: 10_000,
  maxOutputChars: 2_000,
  maxMemoryMb: 512,
  loadTimeoutMs: 120_000,
};

/** One tool call's outcome as the agent sees it. */
export interface ToolRun {
  output: string;
  /** The error text (Python exception, time-out, crash), or null. */
  error: string | null;
  timedOut: boolean;
  truncated: boolean;
  durationMs: number;
}

/** What rollouts need of the Python tool: the sandbox itself, or a proxy to one in another thread. */
export interface ToolSandbox {
  /** Runs `code` in `session`; never throws for anything the code does. */
  run(code: string, session: string, signal?: AbortSignal): Promise<ToolRun>;
  /** Forgets a trajectory's globals. */
  endSession(session: string): Promise<void>;
}

/** What the model reads after its error when the worker had to be replaced. */
const restartedNote = 'The sandbox was restarted: variables from earlier calls are gone.';

/**
 * Python for model-written code, in its own worker: calls are queued one at a time on one
 * warm interpreter, each trajectory (session) gets fresh globals, a call past the time
 * limit, out of memory or a crash ends the worker and the next call starts a new one.
 */
export class PythonSandbox implements ToolSandbox {
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
    let started = performance.now();
    try {
      const loaded = await this.withinLimit(
        this.worker.call('warmUp', null, { signal }),
        this.settings.loadTimeoutMs,
        'Python did not load',
      );
      if (loaded === 'timeout')
        return this.failed(`SandboxError: Python did not load within ${this.settings.loadTimeoutMs / 1000} s`, started);
      started = performance.now();
      const limitSeconds = this.settings.timeoutMs / 1000;
      const { maxOutputChars, maxMemoryMb } = this.settings;
      const call = this.worker.call(
        'run',
        { code, session, maxOutputChars, maxMemoryBytes: maxMemoryMb * 2 ** 20 },
        { signal },
      );
      const result = await this.withinLimit(call, this.settings.timeoutMs, `the code ran past ${limitSeconds} s`);
      if (result === 'timeout')
        return {
          ...this.failed(
            `TimeoutError: the code did not finish within ${limitSeconds} s and was stopped. ${restartedNote}`,
            started,
          ),
          timedOut: true,
        };
      let error = result.error;
      if (result.outOfMemory) {
        this.worker.restart('the code ran out of memory');
        error = `${(error ?? 'MemoryError').replace(/\n$/, '')}\nThe code hit the sandbox's memory limit of ${maxMemoryMb} MB. ${restartedNote}`;
      }
      return {
        output: result.output,
        error,
        timedOut: false,
        truncated: result.truncated,
        durationMs: result.durationMs,
      };
    } catch (err) {
      // A handler that threw left the interpreter in an unknown state (Pyodide refuses all
      // calls after a fatal error), so the worker is replaced as after a crash.
      if (err instanceof RemoteError) this.worker.restart('its interpreter failed');
      const message =
        err instanceof WorkerCrashedError
          ? err.message
          : `${err instanceof Error ? err.name : 'Error'}: ${err instanceof Error ? err.message : String(err)}`;
      // Recursion deeper than the JS/wasm stack holds (even of plain Python functions, past a
      // raised recursion limit) is a fatal error for Pyodide: its worker died of it.
      if (/Maximum call stack size exceeded/.test(message))
        return this.failed(
          `RecursionError: the code recursed deeper than the sandbox's stack holds and was stopped. ${restartedNote}`,
          started,
        );
      if (err instanceof WorkerCrashedError || err instanceof RemoteError)
        return this.failed(`SandboxError: ${message}\n${restartedNote}`, started);
      return this.failed(`SandboxError: ${message}`, started);
    }
  }

  /** Waits for `call` at most `ms`; past that the worker is replaced and 'timeout' returned. */
  private async withinLimit<T>(call: Promise<T>, ms: number, reason: string): Promise<T | 'timeout'> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), ms);
    });
    try {
      const result = await Promise.race([call, timeout]);
      if (result === 'timeout') {
        this.worker.restart(reason);
        await call.catch(() => undefined);
      }
      return result;
    } finally {
      clearTimeout(timer);
    }
  }

  private failed(error: string, started: number): ToolRun {
    return { output: '', error, timedOut: false, truncated: false, durationMs: performance.now() - started };
  }
}
