/**
 * Field selectors (`?fieldSelector=metadata.name=web,spec.nodeName!=n1`): terms of
 * `field=value`, `field==value` or `field!=value` joined by ',' (AND). In values, ',', '=' and
 * '\' are written `\,`, `\=` and `\\`. A missing field reads as "".
 */

import { BadRequestError } from './errors';

/** One term of a field selector. */
export interface FieldTerm {
  readonly field: string;
  /** '=' (also written '==') or '!='. */
  readonly operator: '=' | '!=';
  /** The unescaped value. */
  readonly value: string;
}

/** A parsed field selector. */
export interface FieldSelector {
  /** The terms, in canonical (sorted) order. */
  readonly terms: readonly FieldTerm[];
  /** Whether every term holds for `fields` (the object's selectable fields as strings). */
  matches(fields: Record<string, string | undefined>): boolean;
  /** True when the selector has no terms (it matches everything). */
  empty(): boolean;
  /** The value that `field` must equal, if some `=` term requires it (for index lookups). */
  requiresExactMatch(field: string): string | undefined;
  /** Canonical string form with escaped values; parses back to the same selector. */
  toString(): string;
}

/** Escapes '\', ',' and '=' in a value so that it can be put into a field selector. */
export function escapeFieldValue(value: string): string {
  return value.replace(/[\\,=]/g, (c) => `\\${c}`);
}

/** Reverses `escapeFieldValue`; throws BadRequestError on a bad escape or a bare ',' / '='. */
export function unescapeFieldValue(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\') {
      const n = value[i + 1];
      if (n !== '\\' && n !== ',' && n !== '=') {
        throw new BadRequestError(`invalid field selector: invalid escape sequence: ${value.slice(i, i + 2)}`);
      }
      out += n;
      i++;
    } else if (c === ',' || c === '=') {
      throw new BadRequestError(`invalid field selector: unescaped character ${c}`);
    } else {
      out += c;
    }
  }
  return out;
}

/** Splits on commas that are not escaped. */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    if (selector[i] === '\\') i++;
    else if (selector[i] === ',') {
      terms.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(selector.slice(start));
  return terms;
}

const OPERATORS = ['!=', '==', '='] as const;

/** Splits `lhs op rhs` at the first operator. */
function splitTerm(term: string): { field: string; op: (typeof OPERATORS)[number]; rhs: string } | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of OPERATORS) {
      if (term.startsWith(op, i)) return { field: term.slice(0, i).trim(), op, rhs: term.slice(i + op.length) };
    }
  }
  return undefined;
}

function termString(t: FieldTerm): string {
  return `${t.field}${t.operator}${escapeFieldValue(t.value)}`;
}

class TermsSelector implements FieldSelector {
  readonly terms: readonly FieldTerm[];
  constructor(terms: FieldTerm[]) {
    this.terms = [...terms].sort((a, b) => {
      const x = termString(a);
      const y = termString(b);
      return x < y ? -1 : x > y ? 1 : 0;
    });
  }
  matches(fields: Record<string, string | undefined>): boolean {
    return this.terms.every((t) => {
      const v = fields[t.field] ?? '';
      return t.operator === '=' ? v === t.value : v !== t.value;
    });
  }
  empty(): boolean {
    return this.terms.length === 0;
  }
  requiresExactMatch(field: string): string | undefined {
    return this.terms.find((t) => t.field === field && t.operator === '=')?.value;
  }
  toString(): string {
    return this.terms.map(termString).join(',');
  }
}

/**
 * Parses a field selector string. "" selects everything; empty terms (`a=b,`) are skipped.
 * Throws BadRequestError for a term without an operator or field name, or a bad escape.
 */
export function parseFieldSelector(selector: string): FieldSelector {
  const terms: FieldTerm[] = [];
  for (const part of splitTerms(selector)) {
    if (part.trim() === '') continue;
    const t = splitTerm(part);
    if (!t || t.field === '') throw new BadRequestError(`invalid selector: '${selector}'; can't understand '${part}'`);
    terms.push({ field: t.field, operator: t.op === '!=' ? '!=' : '=', value: unescapeFieldValue(t.rhs) });
  }
  return new TermsSelector(terms);
}

/** The selector requiring each `field=value` of `fields`. */
export function fieldSelectorFromSet(fields: Record<string, string>): FieldSelector {
  return new TermsSelector(Object.entries(fields).map(([field, value]) => ({ field, operator: '=', value })));
}

/** Field names every kind supports. */
export const DEFAULT_SELECTABLE_FIELDS: readonly string[] = ['metadata.name', 'metadata.namespace'];

/**
 * Checks that the selector uses only `supported` field names; throws BadRequestError
 * `"foo.bar" is not a known field selector: only "metadata.name", "metadata.namespace"`.
 */
export function checkFieldSelector(selector: FieldSelector, supported: readonly string[] = DEFAULT_SELECTABLE_FIELDS): void {
  for (const t of selector.terms) {
    if (!supported.includes(t.field)) {
      throw new BadRequestError(`"${t.field}" is not a known field selector: only ${supported.map((f) => `"${f}"`).join(', ')}`);
    }
  }
}
