import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const sodpBin = fileURLToPath(new URL('../../bin/sodp.mjs', import.meta.url));

export interface SodpRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real `sodp` command in a child process, feeding `stdin`; `env` is added to this process's environment. */
export function runSodp(args: string[], stdin = '', env: Record<string, string> = {}): Promise<SodpRun> {
  return startSodp(args, stdin, env).done;
}

/** Starts `sodp` in a child process: `kill` ends it with SIGKILL (as an out-of-memory killer would); `done` settles when it exits. */
export function startSodp(
  args: string[],
  stdin = '',
  env: Record<string, string> = {},
): { done: Promise<SodpRun>; kill(): void } {
  const child = spawn(process.execPath, [sodpBin, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const done = new Promise<SodpRun>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
  return { done, kill: () => void child.kill('SIGKILL') };
}

/** Parses JSONL output into objects. */
export function parseLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const value: unknown = JSON.parse(l);
      if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`not an object: ${l}`);
      return Object.fromEntries(Object.entries(value));
    });
}
