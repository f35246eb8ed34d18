/** The content of the last \boxed{…} in a text (nested braces allowed), or null. */
export function extractBoxedAnswer(text: string): string | null {
  let found: string | null = null;
  let from = 0;
  for (;;) {
    const at = text.indexOf('\\boxed', from);
    if (at < 0) return found;
    let i = at + '\\boxed'.length;
    while (text[i] === ' ') i++;
    if (text[i] !== '{') {
      from = i;
      continue;
    }
    let depth = 0;
    let end = -1;
    for (let j = i; j < text.length; j++) {
      if (text[j] === '{') depth++;
      else if (text[j] === '}' && --depth === 0) {
        end = j;
        break;
      }
    }
    if (end < 0) return found;
    found = text.slice(i + 1, end);
    from = end + 1;
  }
}

/** An exact rational number: numerator / denominator with the denominator positive. */
interface Rational {
  n: bigint;
  d: bigint;
}

const gcd = (a: bigint, b: bigint): bigint => {
  a = a < 0n ? -a : a;
  b = b < 0n ? -b : b;
  while (b) [a, b] = [b, a % b];
  return a;
};

function rational(n: bigint, d: bigint): Rational {
  if (d === 0n) throw new Error('division by zero');
  if (d < 0n) [n, d] = [-n, -d];
  const g = gcd(n, d) || 1n;
  return { n: n / g, d: d / g };
}

/** Parses a decimal literal like 12, -3.25, 1e3 exactly. */
function decimal(text: string): Rational | null {
  const m = /^(\d+)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$|^\.(\d+)$/.exec(text);
  if (!m) return null;
  const whole = m[1] ?? '0';
  const frac = m[2] ?? m[4] ?? '';
  const exp = Number(m[3] ?? 0);
  let n = BigInt(whole + frac);
  let d = 10n ** BigInt(frac.length);
  if (exp > 0) n *= 10n ** BigInt(exp);
  else if (exp < 0) d *= 10n ** BigInt(-exp);
  return rational(n, d);
}

/** Removes LaTeX and formatting that do not change a number's value. */
function normalise(answer: string): string {
  let s = answer.trim();
  s = s.replace(/\\(?:d|t)?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}/g, '($1)/($2)');
  s = s.replace(/\\left|\\right|\\!|\\,|\\;|\\ |~/g, '');
  s = s.replace(/\\cdot|\\times/g, '*');
  s = s.replace(/\\%$|%$/, '');
  s = s.replace(/^\$|\$$/g, '');
  s = s.replace(/\\text\{([^}]*)\}/g, '$1');
  s = s.replace(/\s+/g, '');
  // Thousands separators: 1,234,567 (only in groups of three).
  if (/^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$/.test(s)) s = s.replace(/,/g, '');
  return s;
}

/**
 * Evaluates a small arithmetic expression exactly: numbers, + − * / ^, parentheses and
 * unary signs. Anything else gives null (compared as text instead); no code is ever run.
 */
export function evaluateExact(expression: string): Rational | null {
  const s = normalise(expression);
  let i = 0;
  const peek = () => s[i];
  function number(): Rational | null {
    const m = /^(\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+)/.exec(s.slice(i));
    if (!m) return null;
    i += m[0].length;
    return decimal(m[0]);
  }
  function primary(): Rational | null {
    if (peek() === '(' || peek() === '{') {
      const close = peek() === '(' ? ')' : '}';
      i++;
      const v = sum();
      if (peek() !== close) return null;
      i++;
      return v;
    }
    return number();
  }
  function unary(): Rational | null {
    if (peek() === '-' || peek() === '+') {
      const sign = s[i++] === '-' ? -1n : 1n;
      const v = unary();
      return v && rational(sign * v.n, v.d);
    }
    return power();
  }
  function power(): Rational | null {
    const base = primary();
    if (base === null) return null;
    if (peek() !== '^' && !(peek() === '*' && s[i + 1] === '*')) return base;
    i += peek() === '^' ? 1 : 2;
    const exp = unary();
    if (exp === null || exp.d !== 1n || exp.n > 10_000n || exp.n < -10_000n) return null;
    const e = exp.n < 0n ? -exp.n : exp.n;
    const r = rational(base.n ** e, base.d ** e);
    return exp.n < 0n ? rational(r.d, r.n) : r;
  }
  function product(): Rational | null {
    let v = unary();
    while (v !== null && (peek() === '*' || peek() === '/') && s[i + 1] !== '*') {
      const op = s[i++];
      const w = unary();
      if (w === null) return null;
      if (op === '/' && w.n === 0n) return null;
      v = op === '*' ? rational(v.n * w.n, v.d * w.d) : rational(v.n * w.d, v.d * w.n);
    }
    return v;
  }
  function sum(): Rational | null {
    let v = product();
    while (v !== null && (peek() === '+' || peek() === '-')) {
      const op = s[i++];
      const w = product();
      if (w === null) return null;
      v = op === '+' ? rational(v.n * w.d + w.n * v.d, v.d * w.d) : rational(v.n * w.d - w.n * v.d, v.d * w.d);
    }
    return v;
  }
  try {
    const value = sum();
    return value !== null && i === s.length ? value : null;
  } catch {
    return null;
  }
}

/** Whether an answer equals the reference: by exact value when both are numbers or simple expressions, else as normalised text. */
export function answersMatch(answer: string | null, reference: string): boolean {
  if (answer === null) return false;
  const a = evaluateExact(answer);
  const b = evaluateExact(reference);
  if (a !== null && b !== null) return a.n === b.n && a.d === b.d;
  return normalise(answer).toLowerCase() === normalise(reference).toLowerCase();
}
