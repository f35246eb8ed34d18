import type { RunRequest, RunResult } from './protocol';
import type { MemoryCap } from './worker-hardening';

/**
 * The Python side of the sandbox, run inside the worker. It captures output with a cap (an
 * endless print loop cannot exhaust memory before the time-out), evaluates a trailing
 * expression like a notebook cell, keeps one globals dict per session, refuses the modules
 * that reach the page or the network, and refuses processes.
 */
const pythonSetup = String.raw`
import errno, io, os, posix, sys, traceback
import pyodide
from pyodide.code import eval_code_async
from _pyodide._importhook import jsfinder

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

_BLOCKED = ('js', 'pyodide_js', 'pyodide.http', 'pyodide.ffi', 'pyodide.webloop', 'micropip', 'pyodide_http', '_pyodide_core')

class _BlockNetwork:
    def find_spec(self, name, path=None, target=None):
        if name in _BLOCKED or any(name.startswith(b + '.') for b in _BLOCKED):
            raise ImportError(f"import of {name} is blocked in the sandbox (no network or page access)")
        return None

sys.meta_path.insert(0, _BlockNetwork())
for _name in list(sys.modules):
    if _name in _BLOCKED or any(_name.startswith(b + '.') for b in _BLOCKED):
        del sys.modules[_name]
# 'from pyodide import ffi' reads the package's attribute before any import hook runs.
for _name in ('ffi', 'http', 'webloop'):
    if hasattr(pyodide, _name):
        delattr(pyodide, _name)
# Pyodide's own finder on sys.meta_path holds the JS modules it serves.
jsfinder.jsproxies.clear()

def _no_processes(*args, **kwargs):
    raise OSError(errno.ENOSYS, 'the sandbox cannot start processes')

# In Node, Emscripten's system() runs its command in a shell on the host.
os.system = posix.system = os.popen = _no_processes

_sessions = {}

_EDGE_FRAMES = 10

def _user_traceback(exc):
    try:
        # This setup is compiled as '<sandbox>', the model's code as '<exec>': only the latter belongs in the text.
        # walk_tb is cheap and FrameSummary objects are not: a deep recursion shows its first and last frames only.
        frames = [(f, n) for f, n in traceback.walk_tb(exc.__traceback__) if f.f_code.co_filename == '<exec>']
        omitted = len(frames) - 2 * _EDGE_FRAMES
        extract = lambda part: traceback.format_list(traceback.StackSummary.extract(part))
        if omitted > 0:
            lines = extract(frames[:_EDGE_FRAMES]) + [f'  [{omitted} more frames]\n'] + extract(frames[-_EDGE_FRAMES:])
        else:
            lines = extract(frames)
        head = 'Traceback (most recent call last):\n' + ''.join(lines) if lines else ''
        return head + ''.join(traceback.format_exception_only(type(exc), exc))
    except BaseException:
        # Out of memory while formatting, most likely: the exception's name still says what happened.
        return f'{type(exc).__name__}\n'

async def _sodp_run(code, session, limit):
    g = _sessions.setdefault(session, {'__name__': '__main__'})
    out = _CappedWriter(limit)
    old = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = out
    error, out_of_memory = None, False
    try:
        result = await eval_code_async(code, g, return_mode='last_expr')
        if result is not None:
            print(repr(result))
    except BaseException as exc:
        out_of_memory = isinstance(exc, MemoryError)
        error = _user_traceback(exc)
    finally:
        sys.stdout, sys.stderr = old
    return out.value(), error, out.dropped, out_of_memory

def _sodp_end(session):
    _sessions.pop(session, None)
`;

/** A raw stream handler: Pyodide passes the bytes written to fd 1 or 2. */
interface RawWriter {
  write(buffer: Uint8Array): number;
}

/** The part of Pyodide's API the runner uses. */
export interface PyodideLike {
  version: string;
  runPython(code: string, options?: { filename?: string }): unknown;
  setStdout(options: RawWriter): void;
  setStderr(options: RawWriter): void;
  setStdin(options: { stdin: () => null }): void;
  FS: { unlink(path: string): void };
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

/**
 * What reaches fd 1 and 2 below Python's sys.stdout (os.write(1, …), sys.__stdout__, C
 * code), capped as it streams like the Python side: Pyodide's default handlers buffer a
 * whole line (in Node they fail and flood the host's stderr).
 */
class RawOutput implements RawWriter {
  private decoder = new TextDecoder();
  private limit = 0;
  text = '';
  dropped = 0;

  /** Starts a run's capture; between runs (limit 0) anything written is dropped. */
  reset(limit: number): void {
    this.decoder = new TextDecoder();
    this.limit = limit;
    this.text = '';
    this.dropped = 0;
  }

  // A property, not a method: Pyodide may call it detached from this object.
  readonly write = (buffer: Uint8Array): number => {
    // Bytes, not characters, are cut: at most `room` bytes decode to at most `room` characters.
    const take = Math.max(0, Math.min(this.limit - this.text.length, buffer.length));
    if (take > 0) this.text += this.decoder.decode(buffer.subarray(0, take), { stream: true });
    this.dropped += buffer.length - take;
    return buffer.length;
  };
}

/**
 * Pyodide's sockets (Emscripten's SOCKFS) open WebSockets: in Node through the 'ws' package
 * to any host, so model code could reach the network from the CLI. Every socket() fails
 * with EACCES instead. Found through Pyodide's internal module; a Pyodide that no longer
 * has it fails here loudly rather than leaving sockets open.
 */
function refuseSockets(py: PyodideLike): void {
  const module: unknown = Reflect.get(py, '_module');
  const field = (object: unknown, name: string): unknown =>
    typeof object === 'object' && object !== null ? Reflect.get(object, name) : undefined;
  const sockfs = field(module, 'SOCKFS');
  const ErrnoError = field(field(module, 'FS'), 'ErrnoError');
  const eacces = field(field(module, 'ERRNO_CODES'), 'EACCES');
  if (typeof sockfs !== 'object' || sockfs === null || typeof ErrnoError !== 'function' || typeof eacces !== 'number')
    throw new Error("the sandbox cannot turn off Pyodide's sockets: its internal module changed");
  Reflect.set(sockfs, 'createSocket', () => {
    throw Reflect.construct(ErrnoError, [eacces]);
  });
}

type RunFunction = (code: string, session: string, limit: number) => Promise<{ toJs(): unknown; destroy(): void }>;
type EndFunction = (session: string) => void;

function isCallable<F>(value: unknown): value is F {
  return typeof value === 'function';
}

export class PythonRunner {
  private readonly runFn: RunFunction;
  private readonly endFn: EndFunction;

  private readonly raw = new RawOutput();

  constructor(
    private readonly py: PyodideLike,
    private readonly memory: MemoryCap,
  ) {
    py.setStdout(this.raw);
    py.setStderr(this.raw);
    // input() and reads of /dev/stdin see the end of input instead of the host's stdin.
    py.setStdin({ stdin: () => null });
    // The terminal devices write to the host's terminal (Node) or console, and reading them crashes Pyodide.
    for (const device of ['/dev/tty', '/dev/tty1'])
      try {
        py.FS.unlink(device);
      } catch {
        // Not there: nothing to remove.
      }
    refuseSockets(py);
    py.runPython(pythonSetup, { filename: '<sandbox>' });
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
    const limit = request.maxOutputChars;
    this.raw.reset(limit);
    this.memory.limitBytes = request.maxMemoryBytes;
    let value: unknown;
    let raw: { text: string; dropped: number };
    try {
      const proxy = await this.runFn(request.code, request.session, limit);
      value = proxy.toJs();
      proxy.destroy();
    } finally {
      raw = { text: this.raw.text, dropped: this.raw.dropped };
      this.raw.reset(0);
    }
    if (!Array.isArray(value) || value.length !== 4) throw new Error('the sandbox returned an unexpected value');
    const [output, error, pythonDropped, outOfMemory] = value;
    // Python's own output first, then what bypassed it, under one cap.
    let text = String(output) + raw.text;
    let dropped = (typeof pythonDropped === 'number' ? pythonDropped : 0) + raw.dropped;
    if (text.length > limit) {
      dropped += text.length - limit;
      text = text.slice(0, limit);
    }
    const truncated = dropped > 0;
    return {
      output: text + (truncated ? `\n[output truncated: ${dropped} more characters]` : ''),
      error: typeof error === 'string' ? error : null,
      truncated,
      outOfMemory: outOfMemory === true,
      durationMs: performance.now() - started,
    };
  }

  endSession(session: string): void {
    this.endFn(session);
  }
}
