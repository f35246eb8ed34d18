/** A file's JSON text, parsed; a syntax error is refused naming the file. */
export function parseJsonFile(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${source}: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
}

/**
 * A value read from JSON, for a message: its JSON text, cut to at most `max` characters. Infinity and
 * NaN (JSON.parse gives Infinity for 1e999) are named, not written as JSON's null, and a value
 * nested too deep for JSON.stringify is named by its type instead of overflowing the stack.
 */
export function describeJson(value: unknown, max = 80): string {
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    text = undefined;
  }
  if (text === undefined) return Array.isArray(value) ? 'an array nested too deep' : typeof value;
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
