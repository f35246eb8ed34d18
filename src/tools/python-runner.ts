import type { RunRequest, RunResult } from './protocol';

/**
 * The Python side of the sandbox, run inside the worker. It captures output with a cap (an
 * endless print loop cannot exhaust memory before the time-out), evaluates a trailing
 * expression like a notebook cell, keeps one globals dict per session, and refuses the
 * modules that reach the page or the network.
 */
const pythonSetup = String.raw`
import ast, io, sys, traceback
from pyodide.code import eval_code_async

class _CappedWriter(io.TextIOBase):
    def __init__(self, limit):
        self.parts, self.size, self.limit, self.dropped = [], 0, limit, 0
    def write(self, s):
        room = self.limit - self.size
        if room > 0:
            self.parts.append(s[:room])
            self.size += min(len(s), room)
        self.dropped += max(0, len(s) - max(room, 0))
        return len(s)
    def value(self):
        return ''.join(self.parts)

_BLOCKED = ('js', 'pyodide_js', 'pyodide.http', 'pyodide.ffi', 'pyodide.webloop', 'micropip', 'pyodide_http')

class _BlockNetwork:
    def find_spec(self, name, path=None, target=None):
        if name in _BLOCKED or any(name.startswith(b + '.') for b in _BLOCKED):
            raise ImportError(f"import of {name} is blocked in the sandbox (no network or page access)")
        return None

sys.meta_path.insert(0, _BlockNetwork())
for _name in list(sys.modules):
    if _name in _BLOCKED or any(_name.startswith(b + '.') for b in _BLOCKED):
        del sys.modules[_name]

_sessions = {}

def _user_traceback(exc):
    # The runner's own frame is also compiled as '<exec>'; only the model's code belongs in the text.
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == '<exec>' and f.name != '_sodp_run']
    lines = traceback.format_list(frames) if frames else []
    return ('Traceback (most recent call last):\n' + ''.join(lines) if lines else '') + ''.join(traceback.format_exception_only(type(exc), exc))

async def _sodp_run(code, session, limit):
    g = _sessions.setdefault(session, {'__name__': '__main__'})
    out = _CappedWriter(limit)
    old = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = out
    error = None
    try:
        result = await eval_code_async(code, g, return_mode='last_expr')
        if result is not None:
            print(repr(result))
    except BaseException as exc:
        error = _user_traceback(exc)
    finally:
        sys.stdout, sys.stderr = old
    return out.value(), error, out.dropped

def _sodp_end(session):
    _sessions.pop(session, None)
`;

/** The part of Pyodide's API the runner uses. */
export interface PyodideLike {
  version: string;
  runPython(code: string): unknown;
}

/** Names of the worker's globals that could reach the network; removed once Python has loaded. */
export const networkGlobals = [
  'fetch',
  'XMLHttpRequest',
  'WebSocket',
  'EventSource',
  'importScripts',
  'Request',
  'Response',
] as const;

export function removeNetworkGlobals(scope: object): void {
  for (const name of networkGlobals) {
    // A global that cannot be removed is overwritten; the Python-side block applies either way.
    if (!Reflect.deleteProperty(scope, name) || name in scope) Reflect.set(scope, name, undefined);
  }
}

type RunFunction = (code: string, session: string, limit: number) => Promise<{ toJs(): unknown; destroy(): void }>;
type EndFunction = (session: string) => void;

function isCallable<F>(value: unknown): value is F {
  return typeof value === 'function';
}

export class PythonRunner {
  private readonly runFn: RunFunction;
  private readonly endFn: EndFunction;

  constructor(private readonly py: PyodideLike) {
    py.runPython(pythonSetup);
    const run = py.runPython('_sodp_run');
    const end = py.runPython('_sodp_end');
    if (!isCallable<RunFunction>(run) || !isCallable<EndFunction>(end))
      throw new Error('the sandbox setup code did not define its entry points');
    this.runFn = run;
    this.endFn = end;
  }

  get version(): string {
    return this.py.version;
  }

  async run(request: RunRequest): Promise<RunResult> {
    const started = performance.now();
    const proxy = await this.runFn(request.code, request.session, request.maxOutputChars);
    const value = proxy.toJs();
    proxy.destroy();
    if (!Array.isArray(value) || value.length !== 3) throw new Error('the sandbox returned an unexpected value');
    const [output, error, dropped] = value;
    const truncated = typeof dropped === 'number' && dropped > 0;
    const text = String(output) + (truncated ? `\n[output truncated: ${dropped} more characters]` : '');
    return {
      output: text,
      error: typeof error === 'string' ? error : null,
      truncated,
      durationMs: performance.now() - started,
    };
  }

  endSession(session: string): void {
    this.endFn(session);
  }
}
