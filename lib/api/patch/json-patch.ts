/**
 * JSON patch (RFC 6902, `application/json-patch+json`): a list of add / remove / replace / move /
 * copy / test operations addressed by JSON pointers (RFC 6901: `~1` is `/`, `~0` is `~`, `-` is
 * the end of an array). The patch applies atomically: the input document is never mutated, and
 * the first failing operation fails the whole patch with an error naming its index and path.
 */
import { BadRequestError } from '../errors';
import { cloneJson, deleteOwn, getOwn, hasOwn, isObject, jsonEqual, jsonTypeName, setOwn } from './json-value';
import type { JsonObject, JsonValue } from './json-value';
import { RequestEntityTooLargeError } from '../errors';
import { PatchApplyError } from './patch-errors';

/** Most operations one JSON patch may carry (Kubernetes' maxJSONPatchOperations). */
export const MAX_JSON_PATCH_OPERATIONS = 10000;

/** One decoded operation. */
export type JsonPatchOperation =
  | { op: 'add' | 'replace' | 'test'; path: string; value: JsonValue }
  | { op: 'remove'; path: string }
  | { op: 'move' | 'copy'; from: string; path: string };

const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

/**
 * Checks the shape of a parsed JSON patch: an array of objects, each with a known `op`, string
 * `path` (and `from`), and a `value` where the op needs one. A body that is not an array of
 * objects is a BadRequest (400); a bad operation is a PatchApplyError (422) naming its index.
 */
export function decodeJsonPatch(patch: JsonValue): JsonPatchOperation[] {
  if (!Array.isArray(patch)) {
    throw new BadRequestError(`json patch must be a JSON array of operations, got ${jsonTypeName(patch)}`);
  }
  if (patch.length > MAX_JSON_PATCH_OPERATIONS) {
    throw new RequestEntityTooLargeError(
      `The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${patch.length}`,
    );
  }
  return patch.map((raw, i) => decodeOperation(raw, i));
}

function decodeOperation(raw: JsonValue, i: number): JsonPatchOperation {
  if (!isObject(raw)) throw new BadRequestError(`json patch operation ${i} must be a JSON object, got ${jsonTypeName(raw)}`);
  const op = getOwn(raw, 'op');
  const path = getOwn(raw, 'path');
  if (typeof op !== 'string') throw new PatchApplyError(`json patch operation ${i}: missing or non-string "op"`);
  if (!OPS.has(op)) throw new PatchApplyError(`json patch operation ${i}: unknown op "${op}"`);
  if (typeof path !== 'string') throw new PatchApplyError(`json patch operation ${i} (${op}): missing or non-string "path"`);
  switch (op) {
    case 'add':
    case 'replace':
    case 'test': {
      if (!hasOwn(raw, 'value')) throw new PatchApplyError(`json patch operation ${i} (${op} ${path}): missing "value"`);
      return { op, path, value: raw['value']! };
    }
    case 'move':
    case 'copy': {
      const from = getOwn(raw, 'from');
      if (typeof from !== 'string') throw new PatchApplyError(`json patch operation ${i} (${op} ${path}): missing or non-string "from"`);
      return { op, from, path };
    }
    default:
      return { op: 'remove', path };
  }
}

/** Splits a JSON pointer into unescaped reference tokens; `''` is the whole document. */
export function parsePointer(pointer: string): string[] | undefined {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) return undefined;
  const tokens: string[] = [];
  for (const raw of pointer.slice(1).split('/')) {
    if (/~[^01]|~$/.test(raw)) return undefined;
    tokens.push(raw.replace(/~1/g, '/').replace(/~0/g, '~'));
  }
  return tokens;
}

/**
 * Applies a JSON patch (bytes already parsed) to a document and returns the new document. The
 * input is not mutated. Failures are ApiErrors: 400 for a malformed patch, 422 for an operation
 * that cannot apply, e.g. `json patch operation 2 (test /spec/replicas): test failed`.
 */
export function applyJsonPatch(doc: JsonValue, patch: JsonValue): JsonValue {
  const ops = decodeJsonPatch(patch);
  const box: Box = { root: cloneJson(doc) };
  ops.forEach((op, i) => applyOperation(box, op, i));
  return box.root;
}

/** The document root held in a box so operations on `''` can replace it. */
interface Box {
  root: JsonValue;
}

function applyOperation(box: Box, op: JsonPatchOperation, i: number): void {
  const fail = (why: string): never => {
    const where = op.op === 'move' || op.op === 'copy' ? `${op.op} ${op.from} -> ${op.path}` : `${op.op} ${op.path}`;
    throw new PatchApplyError(`json patch operation ${i} (${where}): ${why}`);
  };
  const path = parsePointer(op.path) ?? fail(`invalid JSON pointer "${op.path}"`);
  switch (op.op) {
    case 'add':
      add(box, path, cloneJson(op.value), fail);
      return;
    case 'remove':
      remove(box, path, fail);
      return;
    case 'replace':
      get(box, path, fail);
      if (path.length === 0) box.root = cloneJson(op.value);
      else setExisting(box, path, cloneJson(op.value), fail);
      return;
    case 'test':
      if (!jsonEqual(get(box, path, fail), op.value)) fail('test failed: value differs');
      return;
    case 'move': {
      const from = parsePointer(op.from) ?? fail(`invalid JSON pointer "${op.from}"`);
      if (op.from === op.path) {
        get(box, from, fail);
        return;
      }
      if (op.path.startsWith(op.from + '/')) fail('cannot move a value into one of its own children');
      const value = get(box, from, fail);
      remove(box, from, fail);
      add(box, path, value, fail);
      return;
    }
    case 'copy': {
      const from = parsePointer(op.from) ?? fail(`invalid JSON pointer "${op.from}"`);
      add(box, path, cloneJson(get(box, from, fail)), fail);
      return;
    }
  }
}

type Fail = (why: string) => never;

/** An array index token: `0` or digits without a leading zero; undefined if not one. */
function arrayIndex(token: string): number | undefined {
  if (!/^(0|[1-9][0-9]*)$/.test(token)) return undefined;
  const n = Number(token);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** The value at `path`; failing if any step is missing. */
function get(box: Box, path: string[], fail: Fail): JsonValue {
  let cur: JsonValue = box.root;
  for (let k = 0; k < path.length; k++) {
    cur = step(cur, path[k]!, fail, path, k);
  }
  return cur;
}

function step(cur: JsonValue, token: string, fail: Fail, path: string[], k: number): JsonValue {
  const at = () => '/' + path.slice(0, k + 1).map(escapeToken).join('/');
  if (Array.isArray(cur)) {
    const idx = arrayIndex(token);
    if (idx === undefined) return fail(`"${token}" is not a valid index into the array at ${parentOf(path, k)}`);
    if (idx >= cur.length) return fail(`index ${idx} is out of bounds (array at ${parentOf(path, k)} has ${cur.length} elements)`);
    return cur[idx]!;
  }
  if (isObject(cur)) {
    const v = getOwn(cur, token);
    if (v === undefined) return fail(`path ${at()} does not exist`);
    return v;
  }
  return fail(`cannot address "${token}" inside a ${jsonTypeName(cur)} at ${parentOf(path, k)}`);
}

function parentOf(path: string[], k: number): string {
  return k === 0 ? '/' : '/' + path.slice(0, k).map(escapeToken).join('/');
}

function escapeToken(t: string): string {
  return t.replace(/~/g, '~0').replace(/\//g, '~1');
}

function add(box: Box, path: string[], value: JsonValue, fail: Fail): void {
  if (path.length === 0) {
    box.root = value;
    return;
  }
  const parent = get(box, path.slice(0, -1), fail);
  const last = path[path.length - 1]!;
  if (Array.isArray(parent)) {
    if (last === '-') {
      parent.push(value);
      return;
    }
    const idx = arrayIndex(last);
    if (idx === undefined) fail(`"${last}" is not a valid index into the array at ${parentOf(path, path.length - 1)}`);
    if (idx! > parent.length) fail(`index ${idx} is out of bounds (array at ${parentOf(path, path.length - 1)} has ${parent.length} elements)`);
    parent.splice(idx!, 0, value);
    return;
  }
  if (isObject(parent)) {
    setOwn(parent, last, value);
    return;
  }
  fail(`cannot add "${last}" inside a ${jsonTypeName(parent)} at ${parentOf(path, path.length - 1)}`);
}

function remove(box: Box, path: string[], fail: Fail): void {
  if (path.length === 0) fail('cannot remove the whole document');
  get(box, path, fail);
  const parent = get(box, path.slice(0, -1), fail);
  const last = path[path.length - 1]!;
  if (Array.isArray(parent)) parent.splice(arrayIndex(last)!, 1);
  else deleteOwn(parent as JsonObject, last);
}

function setExisting(box: Box, path: string[], value: JsonValue, fail: Fail): void {
  const parent = get(box, path.slice(0, -1), fail);
  const last = path[path.length - 1]!;
  if (Array.isArray(parent)) parent[arrayIndex(last)!] = value;
  else setOwn(parent as JsonObject, last, value);
}
