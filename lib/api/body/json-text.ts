/**
 * JSON request bodies: a one-pass syntax check (RFC 8259) that finds the first mistake and where
 * it is, and bounds the nesting depth, before JSON.parse runs. So a malformed body answers a 400
 * in the client's terms (`invalid character '}' looking for beginning of value at line 3,
 * column 7`, like Go's encoding/json) rather than JavaScript's error text, and a body nested past
 * MAX_NESTING_DEPTH is refused before anything recursive sees it. The check is iterative: any
 * input is safe to scan, in time linear in its length.
 */
import { BadRequestError } from '../errors';
import { MAX_NESTING_DEPTH, tooDeeplyNested } from './nesting';

/** The first problem of a JSON text: a syntax error, or nesting past the limit. */
export type JsonTextProblem =
  | { readonly kind: 'syntax'; readonly message: string; readonly offset: number }
  | { readonly kind: 'depth'; readonly offset: number };

/** What the scanner expects next. */
const enum Expect {
  Value,
  /** After `[`: a value or `]`. */
  ValueOrArrayEnd,
  /** After `{`: a key or `}`. */
  KeyOrObjectEnd,
  /** After `,` in an object. */
  Key,
  Colon,
  CommaOrObjectEnd,
  CommaOrArrayEnd,
  /** After the top-level value: only whitespace. */
  End,
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const ESCAPES = new Set('"\\/bfnrtu'.split('').map((c) => c.charCodeAt(0)));
const LITERALS = ['true', 'false', 'null'];

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isHex(c: number): boolean {
  return isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** `'x'` for a printable ASCII character, `U+0001` otherwise. */
export function describeChar(c: number): string {
  return c >= 0x20 && c < 0x7f ? `'${String.fromCharCode(c)}'` : `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** `line L, column C` (both from 1, columns in UTF-16 code units) of `offset` in `text`. */
export function linePosition(text: string, offset: number): string {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return `line ${line}, column ${offset - lineStart + 1}`;
}

/**
 * The first problem of `text` as JSON, or undefined when JSON.parse will accept it and it nests
 * at most `maxDepth` levels.
 */
export function checkJsonText(text: string, maxDepth: number): JsonTextProblem | undefined {
  const open: number[] = []; // the opening bracket of each enclosing container
  let expect = Expect.Value;
  const syntax = (message: string, offset: number): JsonTextProblem => ({ kind: 'syntax', message, offset });
  const afterValue = (): Expect => {
    const top = open[open.length - 1];
    if (top === undefined) return Expect.End;
    return top === 0x7b ? Expect.CommaOrObjectEnd : Expect.CommaOrArrayEnd;
  };
  /** Scans the string starting at `start` (a quote): the index after its closing quote, or a problem. */
  const scanString = (start: number): number | JsonTextProblem => {
    for (let i = start + 1; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === QUOTE) return i + 1;
      if (c < 0x20) return syntax(`invalid character ${describeChar(c)} in string literal`, i);
      if (c !== BACKSLASH) continue;
      const e = text.charCodeAt(++i);
      if (Number.isNaN(e)) break;
      if (!ESCAPES.has(e)) return syntax(`invalid escape ${describeChar(e)} in string literal`, i);
      if (e === 0x75) {
        for (let k = 1; k <= 4; k++) {
          const h = text.charCodeAt(i + k);
          if (Number.isNaN(h)) return syntax('unexpected end of JSON input', text.length);
          if (!isHex(h)) return syntax(`invalid character ${describeChar(h)} in \\u hexadecimal character escape`, i + k);
        }
        i += 4;
      }
    }
    return syntax('unexpected end of JSON input', text.length);
  };
  /** Scans the number starting at `start`: the index after it, or a problem. */
  const scanNumber = (start: number): number | JsonTextProblem => {
    let i = start;
    const digits = (): boolean => {
      if (!isDigit(text.charCodeAt(i))) return false;
      while (isDigit(text.charCodeAt(i))) i++;
      return true;
    };
    const bad = (): JsonTextProblem =>
      i >= text.length ? syntax('unexpected end of JSON input', i) : syntax(`invalid character ${describeChar(text.charCodeAt(i))} in numeric literal`, i);
    if (text.charCodeAt(i) === 0x2d) i++; // -
    if (text.charCodeAt(i) === 0x30) i++; // a leading 0 stands alone
    else if (!digits()) return bad();
    if (text.charCodeAt(i) === 0x2e) {
      i++;
      if (!digits()) return bad();
    }
    if ((text.charCodeAt(i) | 0x20) === 0x65) {
      i++;
      if (text.charCodeAt(i) === 0x2b || text.charCodeAt(i) === 0x2d) i++;
      if (!digits()) return bad();
    }
    return i;
  };
  /** Scans a value starting at `i` (not whitespace): the index after a scalar, or after an opening bracket. */
  const scanValue = (i: number): number | JsonTextProblem => {
    const c = text.charCodeAt(i);
    if (c === 0x7b || c === 0x5b) {
      open.push(c);
      if (open.length > maxDepth) return { kind: 'depth', offset: i };
      expect = c === 0x7b ? Expect.KeyOrObjectEnd : Expect.ValueOrArrayEnd;
      return i + 1;
    }
    let end: number | JsonTextProblem;
    if (c === QUOTE) end = scanString(i);
    else if (c === 0x2d || isDigit(c)) end = scanNumber(i);
    else {
      const literal = LITERALS.find((l) => l.charCodeAt(0) === c);
      if (!literal) return syntax(`invalid character ${describeChar(c)} looking for beginning of value`, i);
      for (let k = 1; k < literal.length; k++) {
        if (text.charCodeAt(i + k) !== literal.charCodeAt(k)) {
          if (i + k >= text.length) return syntax('unexpected end of JSON input', i + k);
          return syntax(`invalid character ${describeChar(text.charCodeAt(i + k))} in literal ${literal} (expecting '${literal[k]}')`, i + k);
        }
      }
      end = i + literal.length;
    }
    if (typeof end === 'number') expect = afterValue();
    return end;
  };

  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) {
      i++;
      continue;
    }
    let next: number | JsonTextProblem;
    switch (expect) {
      case Expect.ValueOrArrayEnd:
      case Expect.CommaOrArrayEnd:
      case Expect.KeyOrObjectEnd:
      case Expect.CommaOrObjectEnd: {
        const closer = expect === Expect.ValueOrArrayEnd || expect === Expect.CommaOrArrayEnd ? 0x5d : 0x7d;
        if (c === closer) {
          open.pop();
          expect = afterValue();
          next = i + 1;
        } else if (c === 0x2c && (expect === Expect.CommaOrArrayEnd || expect === Expect.CommaOrObjectEnd)) {
          expect = expect === Expect.CommaOrArrayEnd ? Expect.Value : Expect.Key;
          next = i + 1;
        } else if (expect === Expect.ValueOrArrayEnd) {
          next = scanValue(i);
        } else if (expect === Expect.KeyOrObjectEnd) {
          next = c === QUOTE ? scanKey(i) : syntax(`invalid character ${describeChar(c)} looking for beginning of object key string`, i);
        } else {
          const where = expect === Expect.CommaOrArrayEnd ? 'after array element' : 'after object key:value pair';
          next = syntax(`invalid character ${describeChar(c)} ${where}`, i);
        }
        break;
      }
      case Expect.Key:
        next = c === QUOTE ? scanKey(i) : syntax(`invalid character ${describeChar(c)} looking for beginning of object key string`, i);
        break;
      case Expect.Colon:
        if (c === 0x3a) {
          expect = Expect.Value;
          next = i + 1;
        } else next = syntax(`invalid character ${describeChar(c)} after object key`, i);
        break;
      case Expect.Value:
        next = scanValue(i);
        break;
      case Expect.End:
        next = syntax(`invalid character ${describeChar(c)} after top-level value`, i);
        break;
    }
    if (typeof next !== 'number') return next;
    i = next;
  }
  return expect === Expect.End ? undefined : syntax('unexpected end of JSON input', text.length);

  function scanKey(start: number): number | JsonTextProblem {
    const end = scanString(start);
    if (typeof end === 'number') expect = Expect.Colon;
    return end;
  }
}

/**
 * Parses a JSON request body, or throws a 400: `what` names the body in the message (e.g. "the
 * request body"), followed by the first syntax error and its position, or the nesting limit.
 */
export function parseJsonText(text: string, what = 'the request body'): unknown {
  const problem = checkJsonText(text, MAX_NESTING_DEPTH);
  if (problem?.kind === 'depth') throw tooDeeplyNested();
  if (problem) throw new BadRequestError(`${what} is not valid JSON: ${problem.message} at ${linePosition(text, problem.offset)}`);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // The check above accepts only what JSON.parse accepts; this is a last guard, without the
    // engine's message (which quotes the body).
    throw new BadRequestError(`${what} is not valid JSON`);
  }
}
