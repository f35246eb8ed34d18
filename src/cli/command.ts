import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Readable, Writable } from 'node:stream';

/** The streams a command talks to; tests pass their own. */
export interface CliIO {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
}

/** One `sodp` subcommand. `run` returns the exit status. */
export interface CliCommand {
  name: string;
  /** One line for `sodp --help`. */
  summary: string;
  /** The full text of `sodp <name> --help`. */
  help: string;
  run(argv: string[], io: CliIO): Promise<number>;
}

/** A mistake in how the command was called: printed with a pointer to --help, exit status 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** Strict option parsing: an unknown option or a missing value is a UsageError naming it. */
export function parseOptions<O extends OptionSpec>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

/** Reads a numeric option; `undefined` gives the default. */
export function numberOption(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) {
    throw new UsageError(`--${name} must be a finite number, got '${value}'`);
  }
  return n;
}

/** Reads an option restricted to a fixed set of names, listing them when the value is not one. */
export function choiceOption<T extends string>(
  name: string,
  value: string | undefined,
  choices: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  const found = choices.find((c) => c === value);
  if (found === undefined) {
    throw new UsageError(`--${name} must be one of ${choices.join(', ')}; got '${value}'`);
  }
  return found;
}
