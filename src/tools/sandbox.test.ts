import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeSandbox } from './node-sandbox';
import type { PythonSandbox } from './sandbox';

// One sandbox (one warm interpreter) for the file; the time-out test restarts its worker.
describe('the Python sandbox (Pyodide in a worker thread)', () => {
  let sandbox: PythonSandbox;
  beforeAll(async () => {
    sandbox = createNodeSandbox({ timeoutMs: 4_000, maxOutputChars: 200 });
    await sandbox.warmUp();
  }, 60_000);
  afterAll(() => sandbox?.dispose());

  it('captures stdout and prints a trailing expression like a notebook', async () => {
    const r = await sandbox.run('x = 6 * 7\nprint("x is", x)\nx * 1000', 's1');
    expect(r.error).toBeNull();
    expect(r.output).toBe('x is 42\n42000\n');
  });

  it('keeps globals within a session and starts a fresh namespace for a new one', async () => {
    await sandbox.run('secret = 17', 'traj-a');
    expect((await sandbox.run('secret + 1', 'traj-a')).output).toBe('18\n');
    const other = await sandbox.run('secret', 'traj-b');
    expect(other.error).toMatch(/NameError: name 'secret' is not defined/);
    await sandbox.endSession('traj-a');
    expect((await sandbox.run('secret', 'traj-a')).error).toMatch(/NameError/);
  });

  it('reports a syntax error and an exception as error text, not a crash', async () => {
    const syntax = await sandbox.run('print((1 + 2)', 's2');
    expect(syntax.error).toMatch(/SyntaxError/);
    expect(syntax.error).not.toMatch(/_sodp_run/);
    const exception = await sandbox.run('def f(n):\n    return 1 / n\nprint("before")\nf(0)', 's2');
    expect(exception.output).toBe('before\n');
    expect(exception.error).toMatch(/ZeroDivisionError: division by zero/);
    expect(exception.error).toMatch(/line 2, in f/);
    expect(exception.error).not.toMatch(/_pyodide|eval_code|_sodp_run/);
  });

  it('truncates endless output and marks it', async () => {
    const r = await sandbox.run('for i in range(100000):\n    print(i)', 's3');
    expect(r.truncated).toBe(true);
    expect(r.output.length).toBeLessThan(300);
    expect(r.output).toMatch(/\[output truncated: \d+ more characters\]$/);
  });

  it('blocks page and network access from Python', async () => {
    const js = await sandbox.run('import js\njs.fetch', 's4');
    expect(js.error).toMatch(/ImportError: import of js is blocked in the sandbox/);
    const pyfetch = await sandbox.run('from pyodide.http import pyfetch', 's4');
    expect(pyfetch.error).toMatch(/ImportError: import of pyodide.http is blocked/);
    const ffi = await sandbox.run('import pyodide.ffi', 's4');
    expect(ffi.error).toMatch(/ImportError/);
    // Even through the Pyodide API object, the worker has no fetch left to call.
    const sneaky = await sandbox.run('import sys\n[m for m in ("js", "pyodide_js") if m in sys.modules]', 's4');
    expect(sneaky.output).toBe('[]\n');
  });

  it('serves two concurrent calls in order', async () => {
    const [a, b] = await Promise.all([sandbox.run('sum(range(10))', 'c1'), sandbox.run('sum(range(100))', 'c2')]);
    expect([a.output, b.output]).toEqual(['45\n', '4950\n']);
  });

  it('stops code that runs past the time limit, replaces the worker and keeps serving', async () => {
    const starts = sandbox.workerStarts;
    const r = await sandbox.run('while True:\n    pass', 's5');
    expect(r.timedOut).toBe(true);
    expect(r.error).toMatch(/TimeoutError: the code did not finish within 4 s/);
    expect((await sandbox.run('1 + 1', 's5')).output).toBe('2\n');
    expect(sandbox.workerStarts).toBe(starts + 1);
  }, 60_000);

  it('survives a crashed worker', async () => {
    const starts = sandbox.workerStarts;
    const r = await sandbox.run('import os\nos._exit(3)', 's6');
    expect(r.error).toMatch(/SandboxError: the python sandbox worker crashed/);
    expect((await sandbox.run('"still alive"', 's6')).output).toBe("'still alive'\n");
    expect(sandbox.workerStarts).toBe(starts + 1);
  }, 60_000);
});
