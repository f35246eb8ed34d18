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
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [sodpBin, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
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
