/**
 * The byte-level half of the HTTP API: decoding a request body by Content-Type (JSON, YAML,
 * Kubernetes protobuf) and writing objects (in the negotiated form, media-negotiation.ts) and
 * Status errors. Reading bodies within the size limit is request-body.ts.
 */
import type { ServerResponse } from 'node:http';
import { stringify as stringifyYaml } from 'yaml';
import { BadRequestError, UnsupportedMediaTypeError } from '../../../lib/api/errors';
import { decodeKubernetesProtobuf, encodeKubernetesProtobuf } from '../../../lib/api/proto/envelope';
import { findProtoKind } from '../../../lib/api/proto/kinds';
import { statusFromError } from '../../../lib/api/status';
import { printableWarning } from '../../../lib/api/warnings';
import { parseJsonText } from '../../../lib/api/body/json-text';
import { JSON_TYPE, PROTOBUF_TYPE, YAML_TYPE, type ResponseForm } from './media-negotiation';
import { parseYamlText } from '../../../lib/api/body/yaml-text';

export { JSON_TYPE, PROTOBUF_TYPE, YAML_TYPE };

/** The media type of a Content-Type header, lower case without parameters ("" when absent). */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/** A decoded request body. */
export interface DecodedBody {
  readonly value: unknown;
  /** True for a protobuf body (whose unknown fields were already dropped in decoding). */
  readonly protobuf: boolean;
}

/** Content-Types read as JSON: also none at all, as kubectl sends `PUT …/scale`. */
const JSON_TYPES = new Set(['', JSON_TYPE, 'text/json']);
const YAML_TYPES = new Set([YAML_TYPE, 'application/x-yaml', 'text/yaml']);

/** Whether a body of this Content-Type is decoded as JSON. */
export function isJsonContentType(contentType: string | undefined): boolean {
  return JSON_TYPES.has(mediaType(contentType));
}

/**
 * Decodes a body by its Content-Type: JSON, YAML (one document), or the Kubernetes protobuf
 * envelope. A malformed body, or one nested deeper than MAX_NESTING_DEPTH, is a 400 saying what
 * is wrong and where; other media types a 415.
 */
export function decodeBody(body: Buffer, contentType: string | undefined): DecodedBody {
  if (body.length === 0) throw new BadRequestError('the request body is empty: an object is required');
  const type = mediaType(contentType);
  if (JSON_TYPES.has(type)) return { value: parseJsonText(body.toString('utf8')), protobuf: false };
  if (YAML_TYPES.has(type)) return { value: parseYamlText(body.toString('utf8')), protobuf: false };
  if (type === PROTOBUF_TYPE) return { value: decodeKubernetesProtobuf(body).object, protobuf: true };
  throw new UnsupportedMediaTypeError(
    `the body of the request was in an unknown format - accepted media types include: ${JSON_TYPE}, ${YAML_TYPE}, ${PROTOBUF_TYPE}`,
  );
}

/** Writes `body` as JSON with `code` (and extra headers). */
export function sendJson(res: ServerResponse, code: number, body: unknown, headers: Record<string, string | string[]> = {}, contentType = JSON_TYPE): void {
  sendText(res, code, JSON.stringify(body), contentType, headers);
}

function sendText(res: ServerResponse, code: number, text: string | Uint8Array, contentType: string, headers: Record<string, string | string[]>): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const length = typeof text === 'string' ? Buffer.byteLength(text) : text.length;
  res.writeHead(code, { ...headers, 'Content-Type': contentType, 'Content-Length': length });
  res.end(text);
}

/**
 * Writes an object in the negotiated form: YAML when asked for (YAML 1.1 quoting, so that Go
 * clients read `"yes"` and `"on"` back as strings), protobuf when the client accepts only that
 * and the kind has a message, otherwise JSON. A Table form writes plain JSON here (Tables are
 * built by the caller).
 */
export function sendObject(res: ServerResponse, code: number, obj: Record<string, unknown>, form: ResponseForm, headers: Record<string, string | string[]> = {}): void {
  if (form.type === 'yaml') return sendText(res, code, stringifyYaml(obj, { version: '1.1' }), YAML_TYPE, headers);
  if (form.type === 'protobuf' && typeof obj.apiVersion === 'string' && typeof obj.kind === 'string' && findProtoKind(obj.apiVersion, obj.kind)) {
    let bytes: Buffer | undefined;
    try {
      bytes = encodeKubernetesProtobuf(obj);
    } catch {
      bytes = undefined; // fall back to JSON, which every client also accepts
    }
    if (bytes) return sendText(res, code, bytes, PROTOBUF_TYPE, headers);
  }
  sendJson(res, code, obj, headers);
}

/** Writes `err` as a Kubernetes Status with its HTTP code. */
export function sendError(res: ServerResponse, err: unknown, headers: Record<string, string | string[]> = {}): void {
  const status = statusFromError(err);
  sendJson(res, status.code, status, headers);
}

/**
 * Writes all of `err`'s Status (its Content-Length tells the client when it has it) but leaves
 * the response open: the returned function ends it. For answering before the request body is in.
 */
export function writeErrorHeld(res: ServerResponse, err: unknown): () => void {
  const status = statusFromError(err);
  const text = JSON.stringify(status);
  res.writeHead(status.code, { 'Content-Type': JSON_TYPE, 'Content-Length': Buffer.byteLength(text) });
  res.write(text);
  return () => res.end();
}

/** The value of a `Warning` response header for `text` (kubectl prints it as `Warning: <text>`). */
export function warningHeader(text: string): string {
  return `299 - ${JSON.stringify(printableWarning(text))}`;
}
