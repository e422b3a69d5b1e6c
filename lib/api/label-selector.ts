/**
 * Label selectors: the string form of `?labelSelector=` / `kubectl -l`, and the structured
 * `LabelSelector` of Deployment.spec.selector and friends. Both become a `Selector` that
 * matches label maps. Requirements are ANDed.
 */

import { BadRequestError, FieldError } from './errors';
import { FieldPath, PathLike, toPath } from './field-path';
import { forbidden, invalid, labelValueErrors, notSupported, qualifiedNameErrors, required, validateLabels } from './validation';

/** Operators of a string selector requirement (`==` is read as `=`). */
export type SelectorOperator = '=' | '!=' | 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt';

/** One requirement: `key <op> values`. Values are sorted and unique. */
export interface Requirement {
  readonly key: string;
  readonly operator: SelectorOperator;
  readonly values: readonly string[];
}

/** A parsed, validated label selector. */
export interface Selector {
  /** The requirements, sorted by key. */
  readonly requirements: readonly Requirement[];
  /** Whether every requirement holds for `labels`. */
  matches(labels: Record<string, string> | undefined): boolean;
  /** True when the selector has no requirements (matches everything, unless `nothing()`). */
  empty(): boolean;
  /** Canonical string form, e.g. `app=web,tier in (a,b),!canary`; parses back to the same selector. */
  toString(): string;
}

function requirementMatches(r: Requirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const v = has ? labels[r.key] : undefined;
  switch (r.operator) {
    case '=':
    case 'in':
      return has && r.values.includes(v as string);
    case '!=':
    case 'notin':
      return !has || !r.values.includes(v as string);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt': {
      if (!has || !/^-?[0-9]+$/.test(v as string)) return false;
      const n = Number(v);
      const bound = Number(r.values[0]);
      return r.operator === 'gt' ? n > bound : n < bound;
    }
  }
}

function requirementString(r: Requirement): string {
  switch (r.operator) {
    case '=':
    case '!=':
      return `${r.key}${r.operator}${r.values[0]}`;
    case 'in':
    case 'notin':
      return `${r.key} ${r.operator} (${r.values.join(',')})`;
    case 'exists':
      return r.key;
    case '!':
      return `!${r.key}`;
    case 'gt':
      return `${r.key}>${r.values[0]}`;
    case 'lt':
      return `${r.key}<${r.values[0]}`;
  }
}

class RequirementsSelector implements Selector {
  readonly requirements: readonly Requirement[];
  constructor(requirements: Requirement[]) {
    this.requirements = [...requirements].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
  matches(labels: Record<string, string> | undefined): boolean {
    const l = labels ?? {};
    return this.requirements.every((r) => requirementMatches(r, l));
  }
  empty(): boolean {
    return this.requirements.length === 0;
  }
  toString(): string {
    return this.requirements.map(requirementString).join(',');
  }
}

class NothingSelector implements Selector {
  readonly requirements: readonly Requirement[] = [];
  matches(): boolean {
    return false;
  }
  empty(): boolean {
    return false;
  }
  toString(): string {
    return '';
  }
}

/** The selector that matches every label set. */
export function everything(): Selector {
  return new RequirementsSelector([]);
}

/** The selector that matches nothing (what a missing structured selector means). */
export function nothing(): Selector {
  return new NothingSelector();
}

/**
 * Builds one requirement after checking it as Kubernetes does: the key is a qualified name,
 * values are label values, `in`/`notin` need at least one value, `=`/`!=` exactly one,
 * exists/does-not-exist none, `gt`/`lt` one integer. Returns the problems, or the requirement.
 */
export function makeRequirement(key: string, operator: SelectorOperator, values: readonly string[]): Requirement | string[] {
  const errs = qualifiedNameErrors(key).map((m) => `invalid label key ${JSON.stringify(key)}: ${m}`);
  switch (operator) {
    case 'in':
    case 'notin':
      if (values.length === 0) errs.push("for 'in', 'notin' operators, values set can't be empty");
      break;
    case '=':
    case '!=':
      if (values.length !== 1) errs.push("exact-match compatibility requires one single value");
      break;
    case 'exists':
    case '!':
      if (values.length !== 0) errs.push("values set must be empty for exists and does not exist");
      break;
    case 'gt':
    case 'lt':
      if (values.length !== 1 || !/^-?[0-9]+$/.test(values[0])) errs.push("for 'Gt', 'Lt' operators, exactly one integer value is required");
      break;
  }
  if (operator !== 'gt' && operator !== 'lt') {
    for (const v of values) errs.push(...labelValueErrors(v).map((m) => `invalid label value: ${JSON.stringify(v)}: ${m}`));
  }
  if (errs.length) return errs;
  return { key, operator, values: [...new Set(values)].sort() };
}

// ---------------------------------------------------------------------------------------------
// Lexer and parser of the string form

type TokenKind = 'ident' | 'in' | 'notin' | '(' | ')' | ',' | '=' | '==' | '!=' | '!' | '>' | '<' | 'eos';

interface Token {
  kind: TokenKind;
  text: string;
}

const SPECIAL = new Set(['=', '!', '(', ')', ',', '>', '<']);
const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v';

function lex(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i];
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (SPECIAL.has(c)) {
      const two = input.slice(i, i + 2);
      if (two === '==' || two === '!=') {
        tokens.push({ kind: two, text: two });
        i += 2;
      } else {
        tokens.push({ kind: c as TokenKind, text: c });
        i++;
      }
      continue;
    }
    let j = i;
    while (j < input.length && !isSpace(input[j]) && !SPECIAL.has(input[j])) j++;
    const word = input.slice(i, j);
    tokens.push({ kind: word === 'in' ? 'in' : word === 'notin' ? 'notin' : 'ident', text: word });
    i = j;
  }
  tokens.push({ kind: 'eos', text: '' });
  return tokens;
}

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.pos];
  }
  private next(): Token {
    const t = this.tokens[this.pos];
    if (t.kind !== 'eos') this.pos++;
    return t;
  }

  parse(): Requirement[] {
    const out: Requirement[] = [];
    if (this.peek().kind === 'eos') return out;
    for (;;) {
      out.push(this.requirement());
      const t = this.next();
      if (t.kind === 'eos') return out;
      if (t.kind !== ',') throw syntax(t, "',' or 'end of string'");
      const k = this.peek().kind;
      if (k !== 'ident' && k !== '!') throw syntax(this.peek(), "identifier after ','");
    }
  }

  private requirement(): Requirement {
    let t = this.next();
    let negated = false;
    if (t.kind === '!') {
      negated = true;
      t = this.next();
      if (t.kind !== 'ident') throw syntax(t, "identifier after '!'");
    } else if (t.kind !== 'ident') {
      throw syntax(t, 'identifier');
    }
    const key = t.text;
    const after = this.peek().kind;
    if (negated || after === ',' || after === 'eos') {
      return build(key, negated ? '!' : 'exists', []);
    }
    const op = this.next();
    switch (op.kind) {
      case '=':
      case '==':
      case '!=':
        return build(key, op.kind === '!=' ? '!=' : '=', [this.exactValue()]);
      case '>':
      case '<':
        return build(key, op.kind === '>' ? 'gt' : 'lt', [this.exactValue()]);
      case 'in':
      case 'notin':
        return build(key, op.kind, this.valueSet());
      default:
        throw syntax(op, 'in, notin, =, ==, !=, gt, lt');
    }
  }

  /** The value after `=`, `!=`, `>`, `<`: one identifier, or empty before ',' / end. */
  private exactValue(): string {
    const t = this.peek();
    if (t.kind === ',' || t.kind === 'eos') return '';
    if (t.kind === 'ident' || t.kind === 'in' || t.kind === 'notin') return this.next().text;
    throw syntax(t, 'identifier');
  }

  /** `( v1, v2, … )`; an empty slot (`(a,)`) is the empty value. */
  private valueSet(): string[] {
    const open = this.next();
    if (open.kind !== '(') throw syntax(open, "'('");
    const values: string[] = [];
    if (this.peek().kind === ')') {
      this.next();
      return values;
    }
    for (;;) {
      const t = this.peek();
      if (t.kind === 'ident' || t.kind === 'in' || t.kind === 'notin') {
        values.push(this.next().text);
      } else if (t.kind === ',' || t.kind === ')') {
        values.push('');
      } else {
        throw syntax(t, "',', ')' or identifier");
      }
      const sep = this.next();
      if (sep.kind === ')') return values;
      if (sep.kind !== ',') throw syntax(sep, "',' or ')'");
    }
  }
}

function syntax(found: Token, expected: string): BadRequestError {
  return new BadRequestError(`unable to parse requirement: found '${found.text}', expected: ${expected}`);
}

function build(key: string, op: SelectorOperator, values: string[]): Requirement {
  const r = makeRequirement(key, op, values);
  if (Array.isArray(r)) throw new BadRequestError(`unable to parse requirement: ${r.join('; ')}`);
  return r;
}

/**
 * Parses a label selector string: `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`,
 * `!k`, `k>1`, `k<1`, joined by ',' (AND); whitespace is ignored. "" selects everything.
 * Throws BadRequestError naming the unexpected token or the invalid key/value.
 */
export function parseLabelSelector(selector: string): Selector {
  return new RequirementsSelector(new Parser(lex(selector)).parse());
}

/** The selector `k1=v1,k2=v2` of a plain label map (an empty map selects everything). */
export function selectorFromSet(labels: Record<string, string>): Selector {
  return new RequirementsSelector(Object.entries(labels).map(([k, v]) => ({ key: k, operator: '=', values: [v] })));
}

// ---------------------------------------------------------------------------------------------
// Structured LabelSelector (metav1.LabelSelector)

/** Operators of a structured selector expression. */
export const LABEL_SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;
/** One of `LABEL_SELECTOR_OPERATORS`. */
export type LabelSelectorOperator = (typeof LABEL_SELECTOR_OPERATORS)[number];

/** One `matchExpressions` entry. */
export interface LabelSelectorRequirement {
  key: string;
  operator: LabelSelectorOperator;
  values?: string[];
}

/** Kubernetes' structured label selector; `{}` selects everything. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/**
 * Validates a structured selector with field paths (`spec.selector.matchExpressions[0].values`):
 * matchLabels as labels, expression keys as qualified names, known operators, values present
 * for In/NotIn and absent for Exists/DoesNotExist.
 */
export function validateLabelSelector(ls: LabelSelector | null | undefined, path: PathLike): FieldError[] {
  if (!ls) return [];
  const p = toPath(path);
  const errs: FieldError[] = [...validateLabels(ls.matchLabels, p.child('matchLabels'))];
  (ls.matchExpressions ?? []).forEach((e, i) => errs.push(...validateExpression(e, p.child('matchExpressions').index(i))));
  return errs;
}

/**
 * The values rule of a set-based operator at expression path `p`: In and NotIn need values,
 * Exists and DoesNotExist take none. Undefined when `operator` is none of the four (the caller
 * knows its other operators). Shared by label selectors and node selector requirements.
 */
export function setOperatorValueErrors(operator: unknown, values: readonly unknown[], p: FieldPath): FieldError[] | undefined {
  switch (operator) {
    case 'In':
    case 'NotIn':
      return values.length === 0 ? [required(p.child('values'), "must be specified when `operator` is 'In' or 'NotIn'")] : [];
    case 'Exists':
    case 'DoesNotExist':
      return values.length > 0 ? [forbidden(p.child('values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'")] : [];
    default:
      return undefined;
  }
}

function validateExpression(e: LabelSelectorRequirement, p: FieldPath): FieldError[] {
  const values = e.values ?? [];
  const errs = setOperatorValueErrors(e.operator, values, p) ?? [notSupported(p.child('operator'), e.operator, LABEL_SELECTOR_OPERATORS)];
  if (typeof e.key !== 'string' || e.key === '') errs.push(required(p.child('key')));
  else errs.push(...qualifiedNameErrors(e.key).map((m) => invalid(p.child('key'), e.key, m)));
  values.forEach((v, j) => errs.push(...labelValueErrors(v).map((m) => invalid(p.child('values').index(j), v, m))));
  return errs;
}

const STRUCTURED_TO_OP: Record<LabelSelectorOperator, SelectorOperator> = {
  In: 'in',
  NotIn: 'notin',
  Exists: 'exists',
  DoesNotExist: '!',
};

/**
 * Converts a structured selector to a `Selector`, as Kubernetes' LabelSelectorAsSelector:
 * null/undefined selects nothing, `{}` selects everything. Throws BadRequestError listing the
 * field errors when the selector is invalid (validate first to get them with paths).
 */
export function selectorFromLabelSelector(ls: LabelSelector | null | undefined, path: PathLike = 'selector'): Selector {
  if (!ls) return nothing();
  const errs = validateLabelSelector(ls, path);
  if (errs.length) throw new BadRequestError(`invalid label selector: ${errs.map((e) => `${e.field}: ${e.message}`).join(', ')}`);
  const reqs: Requirement[] = Object.entries(ls.matchLabels ?? {}).map(([key, v]) => ({ key, operator: '=', values: [v] }));
  for (const e of ls.matchExpressions ?? []) {
    reqs.push({ key: e.key, operator: STRUCTURED_TO_OP[e.operator], values: [...new Set(e.values ?? [])].sort() });
  }
  return new RequirementsSelector(reqs);
}
