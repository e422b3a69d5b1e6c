/**
 * Server-side field validation (Kubernetes 1.27+): the `fieldValidation` parameter (HTTP query
 * parameter, gRPC `field_validation`) says what to do with fields the kind does not have and
 * with keys given twice in a JSON body — `Strict` fails the write with 400 BadRequest, `Warn`
 * (the default) answers with a warning per field (HTTP `Warning` header, gRPC `warning`
 * metadata), `Ignore` drops them silently. A kind's fields are those of its protobuf message
 * (lib/api/proto), the same schema the gRPC API uses.
 */
import { BadRequestError } from '../../../lib/api/errors';
import { toProto } from '../../../lib/api/proto/convert';
import { findProtoKind } from '../../../lib/api/proto/kinds';
import type { UpdateRequest } from './resource-rest';

export type FieldValidation = NonNullable<UpdateRequest['fieldValidation']>;

/** The fieldValidation parameter (absent: Warn, like Kubernetes); anything else a 400. */
export function parseFieldValidation(value: string | null): FieldValidation {
  if (value === null || value === '') return 'Warn';
  if (value === 'Strict' || value === 'Warn' || value === 'Ignore') return value;
  throw new BadRequestError(`fieldValidation: Unsupported value: "${value}": supported values: "Ignore", "Strict", "Warn"`);
}

/**
 * Paths of fields `obj` has that `apiVersion`/`kind` does not (empty when the kind has no
 * schema or the object does not convert: the kind's validation reports type errors).
 * Keys starting with `$` (strategic merge patch directives) are not fields.
 */
export function unknownFields(obj: unknown, apiVersion: string, kind: string): string[] {
  const pk = findProtoKind(apiVersion, kind);
  if (!pk || obj === null || typeof obj !== 'object' || Array.isArray(obj)) return [];
  const found: string[] = [];
  try {
    toProto(pk, { ...withoutDirectives(obj as Record<string, unknown>), apiVersion: pk.apiVersion, kind: pk.kind }, { unknownFields: found });
  } catch {
    // Type errors: left to validation. The unknown fields found before it still count.
  }
  return found;
}

function withoutDirectives(v: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, item] of Object.entries(v)) {
    if (k.startsWith('$')) continue;
    out[k] = strip(item);
  }
  return out;
}

function strip(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(strip);
  if (v !== null && typeof v === 'object') return withoutDirectives(v as Record<string, unknown>);
  return v;
}

/**
 * Paths of keys that appear twice in one object of a JSON text (which JSON.parse would
 * silently collapse to the last). The text must already be valid JSON.
 */
export function duplicateFields(text: string): string[] {
  type Frame = { obj: boolean; keys: Set<string>; expectKey: boolean; key: string; index: number };
  const stack: Frame[] = [];
  const found: string[] = [];
  const pathOf = (last: string): string => {
    const parts: string[] = [];
    for (let i = 0; i < stack.length; i++) {
      const f = stack[i]!;
      if (i === stack.length - 1) break;
      parts.push(f.obj ? (parts.length ? `.${f.key}` : f.key) : `[${f.index}]`);
    }
    return parts.join('') + (parts.length ? `.${last}` : last);
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      let s = '';
      while (j < text.length && text[j] !== '"') {
        if (text[j] === '\\') j++;
        j++;
      }
      s = text.slice(i, j + 1);
      i = j;
      const top = stack[stack.length - 1];
      if (top?.obj && top.expectKey) {
        let key: string;
        try {
          key = JSON.parse(s) as string;
        } catch {
          key = s;
        }
        if (top.keys.has(key)) found.push(pathOf(key));
        top.keys.add(key);
        top.key = key;
        top.expectKey = false;
      }
    } else if (c === '{' || c === '[') {
      stack.push({ obj: c === '{', keys: new Set(), expectKey: c === '{', key: '', index: 0 });
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',') {
      const top = stack[stack.length - 1];
      if (top?.obj) top.expectKey = true;
      else if (top) top.index++;
    }
  }
  return found;
}

/**
 * The context Kubernetes puts before a decoding error of a create or update body:
 * `Deployment in version "v1" cannot be handled as a Deployment: ` (kubectl prints it as is).
 */
export function decodeErrorContext(apiVersion: string, kind: string): string {
  const version = apiVersion.slice(apiVersion.lastIndexOf('/') + 1);
  return `${kind} in version "${version}" cannot be handled as a ${kind}: `;
}

/**
 * Applies a fieldValidation mode to the problems found: Strict throws one 400 naming them all
 * (after `context`, e.g. `decodeErrorContext(...)` for create/update bodies); Warn appends one
 * warning text per problem to `warnings`; Ignore does nothing.
 */
export function enforceFieldValidation(mode: FieldValidation, unknown: readonly string[], duplicates: readonly string[], warnings: string[], context = ''): void {
  if (mode === 'Ignore' || (unknown.length === 0 && duplicates.length === 0)) return;
  const problems = [...duplicates.map((f) => `duplicate field "${f}"`), ...unknown.map((f) => `unknown field "${f}"`)];
  if (mode === 'Strict') throw new BadRequestError(`${context}strict decoding error: ${problems.join(', ')}`);
  warnings.push(...problems);
}
