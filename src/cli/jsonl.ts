import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { parseRecordLine, type TrajectoryRecord } from '../sod/record';

/** One input line: its 1-based number and either the parsed object or why it could not be parsed. */
export type JsonlLine =
  | { lineNumber: number; ok: true; value: TrajectoryRecord }
  | { lineNumber: number; ok: false; error: string };

/** Streams JSONL lines from a file (or stdin when `path` is undefined or '-'); blank lines are skipped. */
export async function* readJsonl(path: string | undefined, stdin: Readable): AsyncGenerator<JsonlLine> {
  const input = path === undefined || path === '-' ? stdin : createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Infinity });
  let lineNumber = 0;
  for await (const line of lines) {
    lineNumber++;
    if (line.trim() === '') continue;
    try {
      yield { lineNumber, ok: true, value: parseRecordLine(line) };
    } catch (err) {
      const why =
        err instanceof SyntaxError
          ? `not valid JSON (${err.message})`
          : err instanceof Error
            ? err.message
            : String(err);
      yield { lineNumber, ok: false, error: why };
    }
  }
}

/** Writes one JSON line, waiting when the stream asks us to (large outputs piped into `head`, etc.). */
export async function writeJsonLine(out: Writable, value: unknown): Promise<void> {
  if (!out.write(JSON.stringify(value) + '\n')) {
    await new Promise<void>((resolve) => out.once('drain', resolve));
  }
}

/** Reports a bad input line on stderr in one fixed form: `line N: what is wrong`. */
export function reportBadLine(err: Writable, lineNumber: number, message: string): void {
  err.write(`line ${lineNumber}: ${message}\n`);
}
