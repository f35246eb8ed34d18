/**
 * Fuzzing the parsers of user input with fast-check: how many inputs, which errors count as a
 * clear refusal, and mutations of a valid input (random bytes rarely get past a parser's
 * first check; a valid file with one field changed reaches all the others).
 *
 * `npm test` tries 200 inputs per target; `npm run fuzz` sets FUZZ_RUNS=10000. FUZZ_SEED
 * replays a run that failed (fast-check prints its seed).
 */
import fc from 'fast-check';
import { expect } from 'vitest';

function integerFromEnv(name: string, min: number): number | undefined {
  const text = process.env[name];
  if (text === undefined || text === '') return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min)
    throw new Error(`${name} must be an integer of at least ${min}, got ${text}`);
  return n;
}

/** Inputs per target. */
export const fuzzRuns = integerFromEnv('FUZZ_RUNS', 1) ?? 200;
/** fast-check's seeds may be negative. */
const fuzzSeed = integerFromEnv('FUZZ_SEED', Number.MIN_SAFE_INTEGER);

/** A test's time limit for fuzzRuns inputs of a target that takes up to `msPerInput` each (on a slow, shared machine). */
export function fuzzTimeout(msPerInput = 5): number {
  return Math.max(30_000, fuzzRuns * msPerInput * 4);
}

/** Errors a parser's own checks never throw: one escaping means the parser crashed on its input instead of refusing it. */
const internalErrorNames = new Set([
  'TypeError',
  'RangeError',
  'SyntaxError',
  'ReferenceError',
  'EvalError',
  'URIError',
  'AggregateError',
]);

/** The longest message that still reads as one: a refusal that quotes a whole file is no clearer for it. */
const maxMessageChars = 1000;

/**
 * Fails the test unless `err` is a clear refusal: an Error the parser raised on purpose (not a
 * TypeError, RangeError or SyntaxError from inside it), whose message names `source` (the file,
 * or one of several) and stays short.
 */
export function expectClearError(err: unknown, source: string | readonly string[]): void {
  expect(err, 'a parser throws Error objects').toBeInstanceOf(Error);
  if (!(err instanceof Error)) return;
  const what = `${err.name}: ${err.message}`;
  expect(internalErrorNames.has(err.name), `an internal error escaped: ${what}`).toBe(false);
  const sources = typeof source === 'string' ? [source] : source;
  expect(
    sources.some((s) => err.message.includes(s)),
    `the message names ${sources.join(' or ')}: ${what}`,
  ).toBe(true);
  expect(err.message.length, `the message is short: ${what.slice(0, 300)}…`).toBeLessThanOrEqual(
    maxMessageChars + Math.max(...sources.map((s) => s.length)),
  );
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: Error };

/** Runs a parser: its value, or the error it refused the input with (checked by expectClearError). */
export async function outcomeOf<T>(
  parse: () => T | Promise<T>,
  source: string | readonly string[],
): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await parse() };
  } catch (err) {
    expectClearError(err, source);
    return { ok: false, error: err instanceof Error ? err : new Error(String(err)) };
  }
}

/**
 * Checks `property` on fuzzRuns inputs of `inputs`. The property returns whether the parser
 * accepted its input (after checking the value or the error); the tally must show both, or
 * the fuzzer never got past the first check (or never reached a refusal). With FUZZ_RUNS set,
 * prints the target's tally and time.
 */
export async function fuzz<T>(
  target: string,
  inputs: fc.Arbitrary<T>,
  property: (input: T) => Promise<boolean> | boolean,
  { needsBoth = true }: { needsBoth?: boolean } = {},
): Promise<void> {
  const tally = { accepted: 0, refused: 0 };
  const started = performance.now();
  await fc.assert(
    fc.asyncProperty(inputs, async (input) => {
      const accepted = await property(input);
      // Shrinking a failure re-runs inputs; only the first fuzzRuns count.
      if (tally.accepted + tally.refused < fuzzRuns) tally[accepted ? 'accepted' : 'refused']++;
    }),
    { numRuns: fuzzRuns, ...(fuzzSeed === undefined ? {} : { seed: fuzzSeed }) },
  );
  if (process.env.FUZZ_RUNS !== undefined) {
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.info(
      `fuzz ${target}: ${tally.accepted + tally.refused} inputs (${tally.accepted} accepted, ${tally.refused} refused) in ${seconds} s`,
    );
  }
  if (needsBoth && fuzzRuns >= 100) {
    expect(tally.accepted, `${target}: some inputs are accepted`).toBeGreaterThan(0);
    expect(tally.refused, `${target}: some inputs are refused`).toBeGreaterThan(0);
  }
}

// ————— mutations of JSON —————

/**
 * Strings that jsonText replaces by raw JSON text: arrays nested `depth` deep (JSON.stringify
 * would overflow the stack on them) and 1e999 (JSON.stringify writes Infinity as null; JSON.parse
 * reads 1e999 as Infinity).
 */
const deepMarker = (depth: number) => `\u0001deep:${depth}\u0001`;
const infinityMarker = (sign: '' | '-') => `\u0001${sign}1e999\u0001`;
const markerPattern = /"\\u0001(?:deep:(\d+)|(-?1e999))\\u0001"/g;

/**
 * JSON values that parsers trip on: every JSON type, numbers JSON.parse gives for big literals
 * (1e999 is Infinity), unsafe and non-integer sizes, strings with lone surrogates, control
 * characters and markup, keys that name Object.prototype's members, and arrays nested deeper
 * than a recursive walk survives.
 */
export const oddJsonValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.constantFrom(null, true, false, '', 0, -0, 1, -1, 2, 3, 0.5, -2.5), weight: 4 },
  {
    arbitrary: fc.constantFrom(2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 2, 2 ** 64, 1e21, 1e300, Number.MIN_VALUE),
    weight: 3,
  },
  { arbitrary: fc.constantFrom(infinityMarker(''), infinityMarker('-')), weight: 1 },
  { arbitrary: fc.integer({ min: -10, max: 100_000 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 12 }), weight: 2 },
  {
    arbitrary: fc.constantFrom(
      '\ud800',
      'a\udfff',
      '\u0000',
      '\u0000sodp:NaN',
      'NaN',
      'Infinity',
      '__proto__',
      'constructor',
      'toString',
      '<img src=x onerror=alert(1)>',
      '</tool_call>',
      '{{ raise_exception("x") }}',
      '{% for',
      'x'.repeat(5000),
    ),
    weight: 2,
  },
  { arbitrary: fc.constantFrom([], [1], ['a', 'b'], [[]], {}, { '': 1 }, JSON.parse('{"__proto__": 1}')), weight: 2 },
  { arbitrary: fc.integer({ min: 2, max: 12_000 }).map(deepMarker), weight: 1 },
  { arbitrary: fc.jsonValue({ maxDepth: 2 }), weight: 2 },
);

type Path = (string | number)[];

/** One structured change: `walk` picks the node (one child index per level, stopping early when it runs out). */
export interface JsonMutation {
  kind: 'replace' | 'delete' | 'add' | 'duplicate' | 'empty';
  walk: number[];
  value: unknown;
  key: string;
}

const jsonMutation: fc.Arbitrary<JsonMutation> = fc.record({
  kind: fc.constantFrom<JsonMutation['kind']>('replace', 'replace', 'replace', 'delete', 'add', 'duplicate', 'empty'),
  walk: fc.array(fc.nat(), { minLength: 1, maxLength: 6 }),
  value: oddJsonValue,
  key: fc.oneof(fc.constantFrom('__proto__', 'constructor', 'type', ''), fc.string({ maxLength: 6 })),
});

/** 1 to 3 structured changes to a JSON value. */
export const jsonMutations: fc.Arbitrary<JsonMutation[]> = fc.array(jsonMutation, { minLength: 1, maxLength: 3 });

function isContainer(value: unknown): value is Record<string, unknown> | unknown[] {
  return typeof value === 'object' && value !== null;
}

function childKeys(value: Record<string, unknown> | unknown[]): (string | number)[] {
  return Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
}

/** Follows `walk` down from `root`: a random walk, so each level's fields are as likely as a large list's items. */
function pathOf(root: unknown, walk: number[]): Path {
  const path: Path = [];
  let node = root;
  for (const step of walk) {
    if (!isContainer(node)) break;
    const keys = childKeys(node);
    if (keys.length === 0) break;
    const key = keys[step % keys.length];
    path.push(key);
    node = Array.isArray(node) ? node[Number(key)] : node[String(key)];
  }
  return path;
}

function nodeAt(root: unknown, path: Path): unknown {
  let node = root;
  for (const key of path)
    node = isContainer(node) ? (Array.isArray(node) ? node[Number(key)] : node[String(key)]) : undefined;
  return node;
}

function setChild(parent: unknown, key: string | number, value: unknown): void {
  if (Array.isArray(parent)) parent[Number(key)] = value;
  else if (isContainer(parent))
    Object.defineProperty(parent, key, { value, enumerable: true, writable: true, configurable: true });
}

/** `base` (JSON-compatible) with the mutations applied, as JSON text. */
export function mutatedJsonText(base: unknown, mutations: readonly JsonMutation[]): string {
  const root: { value: unknown } = { value: structuredClone(base) };
  for (const mutation of mutations) {
    // The odd values are shared between runs: a copy, so no run changes another's.
    const m = { ...mutation, value: structuredClone(mutation.value) };
    const path = ['value', ...pathOf(root.value, m.walk)];
    const key = path[path.length - 1];
    const parent = nodeAt(root, path.slice(0, -1));
    const node = nodeAt(root, path);
    switch (m.kind) {
      case 'replace':
        setChild(parent, key, m.value);
        break;
      case 'delete':
        if (Array.isArray(parent)) parent.splice(Number(key), 1);
        else if (isContainer(parent) && parent !== root) Reflect.deleteProperty(parent, String(key));
        break;
      case 'add':
        if (Array.isArray(node)) node.push(m.value);
        else setChild(node, m.key, m.value);
        break;
      case 'duplicate':
        if (Array.isArray(parent)) parent.splice(Number(key), 0, structuredClone(node));
        else if (isContainer(parent)) setChild(parent, m.key, structuredClone(node));
        break;
      case 'empty':
        setChild(parent, key, Array.isArray(node) ? [] : isContainer(node) ? {} : '');
        break;
    }
  }
  return jsonText(root.value);
}

/** JSON text of a value that may hold the markers above, each replaced by the raw text it stands for. */
export function jsonText(value: unknown): string {
  return (JSON.stringify(value) ?? 'null').replace(markerPattern, (_, depth: string | undefined, big: string) => {
    if (depth === undefined) return big;
    const n = Number(depth);
    return '['.repeat(n) + ']'.repeat(n);
  });
}

/** `base` with the mutations applied, as JSON.parse gives it back (so deep arrays are real, and 1e999 is Infinity). */
export function mutatedJson(base: unknown, mutations: readonly JsonMutation[]): unknown {
  return JSON.parse(mutatedJsonText(base, mutations));
}

// ————— mutations of text and bytes —————

/** One change to a text: cut it short, delete a range, or insert characters. */
export interface TextEdit {
  kind: 'truncate' | 'delete' | 'insert';
  at: number;
  length: number;
  text: string;
}

export const textEdits: fc.Arbitrary<TextEdit[]> = fc.array(
  fc.record({
    kind: fc.constantFrom<TextEdit['kind']>('truncate', 'delete', 'insert', 'insert'),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 16 }),
    text: fc.oneof(
      fc.constantFrom(
        '"',
        '\\',
        '{',
        '}',
        '[',
        ']',
        ',',
        ':',
        '\n',
        '\r\n',
        'NaN',
        '-Infinity',
        '\ud800',
        '\u0000',
        '1e999',
      ),
      fc.string({ unit: 'binary', maxLength: 4 }),
    ),
  }),
  { minLength: 1, maxLength: 3 },
);

/** `text` with the edits applied (positions wrap around its length). */
export function editText(text: string, edits: readonly TextEdit[]): string {
  let out = text;
  for (const e of edits) {
    const at = e.at % (out.length + 1);
    if (e.kind === 'truncate') out = out.slice(0, at);
    else if (e.kind === 'delete') out = out.slice(0, at) + out.slice(at + e.length);
    else out = out.slice(0, at) + e.text + out.slice(at);
  }
  return out;
}
