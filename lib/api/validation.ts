/**
 * Kubernetes' validation rules for names, labels, annotations and ObjectMeta, reimplemented.
 * Every rule returns `FieldError[]` (empty when valid) so that a strategy can collect every bad
 * field of an object in one pass. Messages follow Kubernetes' wording, so errors read like
 * kubectl users expect (`metadata.name: Invalid value: "Foo": a lowercase RFC 1123 …`).
 */

import { FieldError } from './errors';
import { FieldPath, PathLike, toPath } from './field-path';
import { ObjectMeta, OwnerReference } from './object';
import { jsonEqual, type JsonValue } from './patch/json-value';

export { FieldPath, PathLike, toPath } from './field-path';

/** Longest DNS-1123 / DNS-1035 label, in characters. */
export const DNS1123_LABEL_MAX_LENGTH = 63;
/** Longest DNS-1123 subdomain, in characters. */
export const DNS1123_SUBDOMAIN_MAX_LENGTH = 253;
/** Longest name part of a qualified name, in characters. */
export const QUALIFIED_NAME_MAX_LENGTH = 63;
/** Longest label value, in characters. */
export const LABEL_VALUE_MAX_LENGTH = 63;
/** Largest total size of an object's annotations (keys plus values), in bytes. */
export const TOTAL_ANNOTATION_SIZE_LIMIT_BYTES = 256 * 1024;

const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const DNS1035_LABEL_FMT = '[a-z]([-a-z0-9]*[a-z0-9])?';
const WILDCARD_DNS1123_SUBDOMAIN_FMT = `\\*\\.${DNS1123_SUBDOMAIN_FMT}`;
const QUALIFIED_NAME_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const LABEL_VALUE_FMT = `(${QUALIFIED_NAME_FMT})?`;

const DNS1123_LABEL_RE = new RegExp(`^${DNS1123_LABEL_FMT}$`);
const DNS1123_SUBDOMAIN_RE = new RegExp(`^${DNS1123_SUBDOMAIN_FMT}$`);
const DNS1035_LABEL_RE = new RegExp(`^${DNS1035_LABEL_FMT}$`);
const WILDCARD_DNS1123_SUBDOMAIN_RE = new RegExp(`^${WILDCARD_DNS1123_SUBDOMAIN_FMT}$`);
const QUALIFIED_NAME_RE = new RegExp(`^${QUALIFIED_NAME_FMT}$`);
const LABEL_VALUE_RE = new RegExp(`^${LABEL_VALUE_FMT}$`);

/** Kubernetes' "(e.g. 'a',  or 'b', regex used for validation is '…')" tail of a format message. */
function regexError(what: string, fmt: string, examples: string[]): string {
  return `${what} (e.g. ${examples.map((e) => `'${e}'`).join(',  or ')}, regex used for validation is '${fmt}')`;
}

function maxLenError(max: number): string {
  return `must be no more than ${max} characters`;
}

// ---------------------------------------------------------------------------------------------
// Field errors

/** Renders a value the way Kubernetes shows it in messages: strings quoted, numbers bare. */
function showValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === undefined || value === null) return 'null';
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

function withDetail(head: string, detail?: string): string {
  return detail ? `${head}: ${detail}` : head;
}

/** "Required value[: detail]". */
export function required(path: PathLike, detail?: string): FieldError {
  return { type: 'FieldValueRequired', field: String(path), message: withDetail('Required value', detail) };
}

/** `Invalid value: "Foo": detail`. */
export function invalid(path: PathLike, value: unknown, detail?: string): FieldError {
  return { type: 'FieldValueInvalid', field: String(path), message: withDetail(`Invalid value: ${showValue(value)}`, detail) };
}

/** `Unsupported value: "x": supported values: "a", "b"`. */
export function notSupported(path: PathLike, value: unknown, allowed: readonly string[]): FieldError {
  const detail = allowed.length ? `supported values: ${allowed.map((a) => JSON.stringify(a)).join(', ')}` : undefined;
  return { type: 'FieldValueNotSupported', field: String(path), message: withDetail(`Unsupported value: ${showValue(value)}`, detail) };
}

/** "Forbidden[: detail]". */
export function forbidden(path: PathLike, detail?: string): FieldError {
  return { type: 'FieldValueForbidden', field: String(path), message: withDetail('Forbidden', detail) };
}

/** "Too long: must have at most N bytes" (the value itself is not shown; it may be huge). */
export function tooLong(path: PathLike, _value: unknown, maxLength: number): FieldError {
  return { type: 'FieldValueTooLong', field: String(path), message: `Too long: must have at most ${maxLength} bytes` };
}

/** `Duplicate value: "x"`. */
export function duplicate(path: PathLike, value: unknown): FieldError {
  return { type: 'FieldValueDuplicate', field: String(path), message: `Duplicate value: ${showValue(value)}` };
}

/** `Too many: N: must have at most M items` (Kubernetes' field.TooMany), for a list longer than allowed. */
export function tooMany(path: PathLike, actual: number, max: number): FieldError {
  return { type: 'FieldValueTooMany', field: String(path), message: `Too many: ${actual}: must have at most ${max} items` };
}

/** `Invalid value: "x": detail` for a value of the wrong JSON type. */
export function typeInvalid(path: PathLike, value: unknown, detail?: string): FieldError {
  return { type: 'FieldValueTypeInvalid', field: String(path), message: withDetail(`Invalid value: ${showValue(value)}`, detail) };
}

/** Wraps each message of a string rule into an Invalid field error on `path`. */
function invalidAll(path: PathLike, value: unknown, messages: string[]): FieldError[] {
  return messages.map((m) => invalid(path, value, m));
}

// ---------------------------------------------------------------------------------------------
// String rules: each returns human-readable problems, empty when the value is valid.

/** Problems of `value` as an RFC 1123 label (≤ 63 chars, lowercase alphanumerics and '-'). */
export function dns1123LabelErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > DNS1123_LABEL_MAX_LENGTH) errs.push(maxLenError(DNS1123_LABEL_MAX_LENGTH));
  if (!DNS1123_LABEL_RE.test(value)) {
    errs.push(
      regexError(
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
        DNS1123_LABEL_FMT,
        ['my-name', '123-abc'],
      ),
    );
  }
  return errs;
}

/** Problems of `value` as an RFC 1123 subdomain (≤ 253 chars, dot-separated labels). */
export function dns1123SubdomainErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > DNS1123_SUBDOMAIN_MAX_LENGTH) errs.push(maxLenError(DNS1123_SUBDOMAIN_MAX_LENGTH));
  if (!DNS1123_SUBDOMAIN_RE.test(value)) {
    errs.push(
      regexError(
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
        DNS1123_SUBDOMAIN_FMT,
        ['example.com'],
      ),
    );
  }
  return errs;
}

/** Problems of `value` as a wildcard RFC 1123 subdomain: `*.` then a subdomain (Ingress hosts). */
export function wildcardDns1123SubdomainErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > DNS1123_SUBDOMAIN_MAX_LENGTH) errs.push(maxLenError(DNS1123_SUBDOMAIN_MAX_LENGTH));
  if (!WILDCARD_DNS1123_SUBDOMAIN_RE.test(value)) {
    errs.push(
      regexError(
        "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character",
        WILDCARD_DNS1123_SUBDOMAIN_FMT,
        ['*.example.com'],
      ),
    );
  }
  return errs;
}

/** Problems of `value` as an RFC 1035 label (starts with a letter; used for Service names). */
export function dns1035LabelErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > DNS1123_LABEL_MAX_LENGTH) errs.push(maxLenError(DNS1123_LABEL_MAX_LENGTH));
  if (!DNS1035_LABEL_RE.test(value)) {
    errs.push(
      regexError(
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
        DNS1035_LABEL_FMT,
        ['my-name', 'abc-123'],
      ),
    );
  }
  return errs;
}

/**
 * Problems of `value` as a qualified name (label and annotation keys, finalizers): an optional
 * DNS-1123 subdomain prefix and '/', then a name of ≤ 63 alphanumerics, '-', '_' or '.'.
 */
export function qualifiedNameErrors(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0];
  } else if (parts.length === 2) {
    const prefix = parts[0];
    name = parts[1];
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else errs.push(...dns1123SubdomainErrors(prefix).map((m) => `prefix part ${m}`));
  } else {
    return [
      regexError(
        "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        QUALIFIED_NAME_FMT,
        ['MyName', 'my.name', '123-abc'],
      ) + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) {
    errs.push('name part must be non-empty');
  } else if (name.length > QUALIFIED_NAME_MAX_LENGTH) {
    errs.push(`name part ${maxLenError(QUALIFIED_NAME_MAX_LENGTH)}`);
  }
  if (name.length > 0 && !QUALIFIED_NAME_RE.test(name)) {
    errs.push(
      regexError(
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        QUALIFIED_NAME_FMT,
        ['MyName', 'my.name', '123-abc'],
      ),
    );
  }
  return errs;
}

/** Problems of `value` as a label value (≤ 63 chars, may be empty). */
export function labelValueErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > LABEL_VALUE_MAX_LENGTH) errs.push(maxLenError(LABEL_VALUE_MAX_LENGTH));
  if (!LABEL_VALUE_RE.test(value)) {
    errs.push(
      regexError(
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        LABEL_VALUE_FMT,
        ['MyValue', 'my_value', '12345'],
      ),
    );
  }
  return errs;
}

// ---------------------------------------------------------------------------------------------
// Field rules

/** Validates an RFC 1123 subdomain (most object names). */
export function validateDns1123Subdomain(value: string, path: PathLike): FieldError[] {
  return invalidAll(path, value, dns1123SubdomainErrors(value));
}

/** Validates an RFC 1123 label (namespace names, port names…). */
export function validateDns1123Label(value: string, path: PathLike): FieldError[] {
  return invalidAll(path, value, dns1123LabelErrors(value));
}

/** Validates an RFC 1035 label (Service names). */
export function validateDns1035Label(value: string, path: PathLike): FieldError[] {
  return invalidAll(path, value, dns1035LabelErrors(value));
}

/** Validates a qualified name (label keys, annotation keys, finalizers). */
export function validateQualifiedName(value: string, path: PathLike): FieldError[] {
  return invalidAll(path, value, qualifiedNameErrors(value));
}

/** Validates a label value (may be empty). */
export function validateLabelValue(value: string, path: PathLike): FieldError[] {
  return invalidAll(path, value, labelValueErrors(value));
}

/**
 * Validates a label map. As in Kubernetes, both key and value errors are reported on the map's
 * own path (`metadata.labels`), with the offending key or value shown as the value.
 */
export function validateLabels(labels: Record<string, string> | undefined, path: PathLike): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    errs.push(...validateQualifiedName(k, path));
    if (typeof v !== 'string') errs.push(typeInvalid(toPath(path).key(k), v, 'must be a string'));
    else errs.push(...validateLabelValue(v, path));
  }
  return errs;
}

/**
 * Validates an annotation map: keys are qualified names (checked lower-cased, as Kubernetes
 * does) and keys plus values together take at most 256 KiB of UTF-8.
 */
export function validateAnnotations(annotations: Record<string, string> | undefined, path: PathLike): FieldError[] {
  const errs: FieldError[] = [];
  let total = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) {
    errs.push(...invalidAll(path, k, qualifiedNameErrors(k.toLowerCase())));
    if (typeof v !== 'string') {
      errs.push(typeInvalid(toPath(path).key(k), v, 'must be a string'));
      continue;
    }
    total += Buffer.byteLength(k, 'utf8') + Buffer.byteLength(v, 'utf8');
  }
  if (total > TOTAL_ANNOTATION_SIZE_LIMIT_BYTES) errs.push(tooLong(path, '', TOTAL_ANNOTATION_SIZE_LIMIT_BYTES));
  return errs;
}

/** Validates one owner reference: apiVersion (with a version), kind, name and uid are needed. */
export function validateOwnerReference(ref: OwnerReference, path: PathLike): FieldError[] {
  const p = toPath(path);
  const errs: FieldError[] = [];
  const apiVersion = ref.apiVersion ?? '';
  const version = apiVersion.includes('/') ? apiVersion.slice(apiVersion.lastIndexOf('/') + 1) : apiVersion;
  if (!version) errs.push(invalid(p.child('apiVersion'), apiVersion, 'version must not be empty'));
  if (!ref.kind) errs.push(invalid(p.child('kind'), ref.kind ?? '', 'kind must not be empty'));
  if (!ref.name) errs.push(invalid(p.child('name'), ref.name ?? '', 'name must not be empty'));
  if (!ref.uid) errs.push(invalid(p.child('uid'), ref.uid ?? '', 'uid must not be empty'));
  return errs;
}

/** Validates a list of owner references: each one, and at most one with `controller: true`. */
export function validateOwnerReferences(refs: OwnerReference[] | undefined, path: PathLike): FieldError[] {
  const p = toPath(path);
  const errs: FieldError[] = [];
  const controllers: string[] = [];
  (refs ?? []).forEach((ref, i) => {
    errs.push(...validateOwnerReference(ref, p.index(i)));
    if (ref.controller) controllers.push(`${ref.kind}/${ref.name}`);
  });
  if (controllers.length > 1) {
    errs.push(
      invalid(p, controllers, `Only one reference can have Controller set to true. Found "true" in references for ${controllers.join(' and ')}`),
    );
  }
  return errs;
}

/** Finalizers Kubernetes itself defines; a finalizer without a '/' prefix must be one of them. */
export const STANDARD_FINALIZERS: readonly string[] = ['kubernetes', 'orphan', 'foregroundDeletion'];

/**
 * Validates finalizers: qualified names, either standard or prefixed ("example.com/cleanup"),
 * no duplicates, and not both "orphan" and "foregroundDeletion".
 */
export function validateFinalizers(finalizers: string[] | undefined, path: PathLike): FieldError[] {
  const p = toPath(path);
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  (finalizers ?? []).forEach((f, i) => {
    const msgs = qualifiedNameErrors(f);
    errs.push(...invalidAll(p.index(i), f, msgs));
    if (msgs.length === 0 && !f.includes('/') && !STANDARD_FINALIZERS.includes(f)) {
      errs.push(invalid(p.index(i), f, 'name is neither a standard finalizer name nor is it fully qualified'));
    }
    if (seen.has(f)) errs.push(duplicate(p.index(i), f));
    seen.add(f);
  });
  if (seen.has('orphan') && seen.has('foregroundDeletion')) {
    errs.push(invalid(p, finalizers, 'finalizer orphan and foregroundDeletion cannot be both set'));
  }
  return errs;
}

/** A name rule: returns the problems of `name` (with `prefix`, a generateName minus its dash). */
export type NameValidator = (name: string, prefix: boolean) => string[];

/** Name rule of most kinds: an RFC 1123 subdomain. */
export const nameIsDns1123Subdomain: NameValidator = (name, prefix) => dns1123SubdomainErrors(prefix ? maskTrailingDash(name) : name);
/** Name rule of namespaces and a few others: an RFC 1123 label. */
export const nameIsDns1123Label: NameValidator = (name, prefix) => dns1123LabelErrors(prefix ? maskTrailingDash(name) : name);
/** Name rule of Services: an RFC 1035 label. */
/**
 * Names that only have to be safe as one URL path segment (RBAC roles and bindings, e.g.
 * "system:controller:foo"): not "." or "..", and no "/" or "%".
 */
export const nameIsPathSegment: NameValidator = (name, prefix) => {
  if (!prefix && (name === '.' || name === '..')) return [`may not be '${name}'`];
  const errs: string[] = [];
  for (const bad of ['/', '%']) if (name.includes(bad)) errs.push(`may not contain '${bad}'`);
  return errs;
};

export const nameIsDns1035Label: NameValidator = (name, prefix) => dns1035LabelErrors(prefix ? maskTrailingDash(name) : name);

/** A generateName prefix is checked as if its trailing '-' were a letter ("web-" → "web-a"). */
function maskTrailingDash(name: string): string {
  return name.length > 1 && name.endsWith('-') ? `${name.slice(0, -2)}a` : name;
}

/** How `validateObjectMeta` treats an object's kind. */
export interface ObjectMetaOptions {
  /** Whether the kind lives in a namespace (then `namespace` is required, else forbidden). */
  namespaced: boolean;
  /** The kind's name rule; defaults to `nameIsDns1123Subdomain`. */
  nameValidator?: NameValidator;
}

/**
 * Validates the metadata of a new object: name or generateName, name format, namespace,
 * labels, annotations, ownerReferences and finalizers.
 */
export function validateObjectMeta(meta: ObjectMeta, opts: ObjectMetaOptions, path: PathLike = 'metadata'): FieldError[] {
  const p = toPath(path);
  const nameFn = opts.nameValidator ?? nameIsDns1123Subdomain;
  const errs: FieldError[] = [];
  if (meta.generateName) errs.push(...invalidAll(p.child('generateName'), meta.generateName, nameFn(meta.generateName, true)));
  if (!meta.name) {
    if (!meta.generateName) errs.push(required(p.child('name'), 'name or generateName is required'));
  } else {
    errs.push(...invalidAll(p.child('name'), meta.name, nameFn(meta.name, false)));
  }
  if (opts.namespaced) {
    if (!meta.namespace) errs.push(required(p.child('namespace')));
    else errs.push(...validateDns1123Label(meta.namespace, p.child('namespace')));
  } else if (meta.namespace) {
    errs.push(forbidden(p.child('namespace'), 'not allowed on this type'));
  }
  if (meta.generation !== undefined && meta.generation < 0) {
    errs.push(invalid(p.child('generation'), meta.generation, 'must be greater than or equal to 0'));
  }
  errs.push(...validateMutableMeta(meta, p));
  return errs;
}

/** The checks shared by create and update: labels, annotations, owners, finalizers. */
function validateMutableMeta(meta: ObjectMeta, p: FieldPath): FieldError[] {
  return [
    ...validateLabels(meta.labels, p.child('labels')),
    ...validateAnnotations(meta.annotations, p.child('annotations')),
    ...validateOwnerReferences(meta.ownerReferences, p.child('ownerReferences')),
    ...validateFinalizers(meta.finalizers, p.child('finalizers')),
  ];
}

/** "field is immutable" when `next` differs from `prev`. */
export function validateImmutableField(next: unknown, prev: unknown, path: PathLike): FieldError[] {
  // Key order is not content: a body read through the kind's schema lists fields in schema order.
  return jsonEqual((next ?? null) as JsonValue, (prev ?? null) as JsonValue) ? [] : [invalid(path, next, 'field is immutable')];
}

/**
 * Validates an update of metadata: name, namespace, uid and creationTimestamp are immutable,
 * generation never goes down, a set deletionTimestamp stays, no finalizer is added to an object
 * being deleted; labels, annotations, owners and finalizers of the new metadata are checked.
 */
export function validateObjectMetaUpdate(next: ObjectMeta, prev: ObjectMeta, path: PathLike = 'metadata'): FieldError[] {
  const p = toPath(path);
  const errs: FieldError[] = [];
  errs.push(...validateImmutableField(next.name, prev.name, p.child('name')));
  errs.push(...validateImmutableField(next.namespace, prev.namespace, p.child('namespace')));
  errs.push(...validateImmutableField(next.uid, prev.uid, p.child('uid')));
  errs.push(...validateImmutableField(next.creationTimestamp, prev.creationTimestamp, p.child('creationTimestamp')));
  if (prev.deletionTimestamp && next.deletionTimestamp !== prev.deletionTimestamp) {
    errs.push(invalid(p.child('deletionTimestamp'), next.deletionTimestamp ?? null, 'field is immutable; may only be changed via deletion'));
  }
  if (prev.generation !== undefined && next.generation !== undefined && next.generation < prev.generation) {
    errs.push(invalid(p.child('generation'), next.generation, 'must not be decremented'));
  }
  if (prev.deletionTimestamp) {
    const old = new Set(prev.finalizers ?? []);
    const added = (next.finalizers ?? []).filter((f) => !old.has(f));
    if (added.length) errs.push(forbidden(p.child('finalizers'), `no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`));
  }
  errs.push(...validateMutableMeta(next, p));
  return errs;
}
