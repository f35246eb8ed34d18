/** The messages between the main thread and the Python sandbox worker. */

export interface RunRequest {
  code: string;
  /** Calls with the same session share Python globals (one trajectory); a new session starts clean. */
  session: string;
  /** Output beyond this many characters is cut and marked. */
  maxOutputChars: number;
  /** The interpreter's heap may not grow past this during the run: allocations beyond raise MemoryError. */
  maxMemoryBytes: number;
}

export interface RunResult {
  /** What the code printed (stdout, then stderr), plus the value of a trailing expression. */
  output: string;
  /** The Python error (last traceback frames of the user's code and the message), or null. */
  error: string | null;
  /** Whether output was cut at maxOutputChars. */
  truncated: boolean;
  /** Whether the code raised MemoryError: its heap stays large, so the worker should be replaced. */
  outOfMemory: boolean;
  durationMs: number;
}

export type SandboxProtocol = {
  run: { request: RunRequest; response: RunResult; progress: never };
  /** Forgets a session's globals. */
  endSession: { request: { session: string }; response: null; progress: never };
  /** Loads Python now (otherwise on the first run). */
  warmUp: { request: null; response: { version: string }; progress: never };
};
