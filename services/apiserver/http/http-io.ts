/**
 * The byte-level half of the HTTP API: reading a bounded request body, decoding it by
 * Content-Type (JSON, YAML, Kubernetes protobuf), choosing a response form from Accept (JSON,
 * a meta.k8s.io Table, protobuf), and writing objects and Status errors.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { BadRequestError, RequestEntityTooLargeError, UnsupportedMediaTypeError } from '../../../lib/api/errors';
import { decodeKubernetesProtobuf, encodeKubernetesProtobuf } from '../../../lib/api/proto/envelope';
import { findProtoKind } from '../../../lib/api/proto/kinds';
import { statusFromError } from '../../../lib/api/status';
import { printableWarning } from '../../../lib/api/warnings';

/** Largest request body accepted (Kubernetes' limit): larger ones answer 413. */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export const JSON_TYPE = 'application/json';
export const YAML_TYPE = 'application/yaml';
export const PROTOBUF_TYPE = 'application/vnd.kubernetes.protobuf';

/** 413: the request body is larger than `limit`. */
function bodyTooLarge(limit: number): RequestEntityTooLargeError {
  return new RequestEntityTooLargeError(`the request body is too large: limit is ${limit} bytes`);
}

/** Reads the whole body, rejecting with RequestEntityTooLargeError past `limit` bytes. */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(bodyTooLarge(limit));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        chunks.length = 0;
        reject(bodyTooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!done) {
        done = true;
        resolve(Buffer.concat(chunks));
      }
    });
    req.on('error', (err) => {
      if (!done) {
        done = true;
        reject(new BadRequestError(`the request body could not be read: ${err.message}`));
      }
    });
  });
}

/** The media type of a Content-Type header, lower case without parameters ("" when absent). */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/** A decoded request body and the apiVersion/kind a protobuf envelope named. */
export interface DecodedBody {
  readonly value: unknown;
  /** True for a protobuf body (whose unknown fields were already dropped in decoding). */
  readonly protobuf: boolean;
}

/**
 * Decodes a body by its Content-Type: JSON (also when there is no Content-Type, as kubectl
 * sends `PUT …/scale`), YAML, or the Kubernetes protobuf envelope. Malformed bodies are a 400;
 * other media types a 415.
 */
export function decodeBody(body: Buffer, contentType: string | undefined): DecodedBody {
  const type = mediaType(contentType);
  if (body.length === 0) throw new BadRequestError('the request body is empty: an object is required');
  switch (type) {
    case '':
    case JSON_TYPE:
    case 'text/json':
      return { value: parseJson(body), protobuf: false };
    case YAML_TYPE:
    case 'application/x-yaml':
    case 'text/yaml': {
      try {
        return { value: parseYaml(body.toString('utf8'), { uniqueKeys: true, maxAliasCount: 100 }) as unknown, protobuf: false };
      } catch (err) {
        throw new BadRequestError(`the request body is not valid YAML: ${(err as Error).message}`);
      }
    }
    case PROTOBUF_TYPE:
      return { value: decodeKubernetesProtobuf(body).object, protobuf: true };
    default:
      throw new UnsupportedMediaTypeError(
        `the body of the request was in an unknown format - accepted media types include: ${JSON_TYPE}, ${YAML_TYPE}, ${PROTOBUF_TYPE}`,
      );
  }
}

/** JSON.parse with a 400 naming the problem. */
export function parseJson(body: Buffer | string): unknown {
  try {
    return JSON.parse(typeof body === 'string' ? body : body.toString('utf8')) as unknown;
  } catch (err) {
    throw new BadRequestError(`the request body is not valid JSON: ${(err as Error).message}`);
  }
}

/** How a response is written. */
export type ResponseForm =
  | { readonly type: 'json' }
  | { readonly type: 'protobuf' }
  /** A meta.k8s.io Table of the given version (v1 or v1beta1). */
  | { readonly type: 'table'; readonly version: string };

/**
 * The response form an Accept header asks for: a Table when the client lists a Table type
 * before plain JSON (kubectl get), protobuf only when the client accepts nothing JSON (every
 * kubectl request accepts JSON, so typed clients' protobuf-first requests get JSON too), JSON
 * otherwise. No Accept, or nothing recognised, answers JSON. Q-values are not weighed.
 */
export function negotiate(accept: string | undefined): ResponseForm {
  let protobuf = false;
  for (const entry of (accept ?? '').split(',')) {
    const [typePart, ...paramParts] = entry.split(';');
    const type = typePart!.trim().toLowerCase();
    const params = new Map<string, string>();
    for (const p of paramParts) {
      const eq = p.indexOf('=');
      if (eq > 0) params.set(p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim());
    }
    const as = params.get('as');
    if (type === JSON_TYPE && as === 'Table' && params.get('g') === 'meta.k8s.io') {
      const v = params.get('v') ?? 'v1';
      if (v === 'v1' || v === 'v1beta1') return { type: 'table', version: v };
      continue;
    }
    if (as !== undefined) continue; // PartialObjectMetadata and other conversions are not served
    if (type === JSON_TYPE || type === '*/*' || type === 'application/*') return { type: 'json' };
    if (type === PROTOBUF_TYPE) protobuf = true;
  }
  return protobuf ? { type: 'protobuf' } : { type: 'json' };
}

/** Writes `body` as JSON with `code` (and extra headers). */
export function sendJson(res: ServerResponse, code: number, body: unknown, headers: Record<string, string | string[]> = {}, contentType = JSON_TYPE): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(code, { ...headers, 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Writes an API object in the negotiated form: protobuf when the client accepts only that and
 * the kind has a message, otherwise JSON.
 */
export function sendObject(res: ServerResponse, code: number, obj: Record<string, unknown>, form: ResponseForm, headers: Record<string, string | string[]> = {}): void {
  if (form.type === 'protobuf' && typeof obj.apiVersion === 'string' && typeof obj.kind === 'string' && findProtoKind(obj.apiVersion, obj.kind)) {
    let bytes: Buffer | undefined;
    try {
      bytes = encodeKubernetesProtobuf(obj);
    } catch {
      bytes = undefined; // fall back to JSON, which every client also accepts
    }
    if (bytes) {
      res.writeHead(code, { ...headers, 'Content-Type': PROTOBUF_TYPE, 'Content-Length': bytes.length });
      res.end(bytes);
      return;
    }
  }
  sendJson(res, code, obj, headers);
}

/** Writes `err` as a Kubernetes Status with its HTTP code. */
export function sendError(res: ServerResponse, err: unknown, headers: Record<string, string | string[]> = {}): void {
  const status = statusFromError(err);
  sendJson(res, status.code, status, headers);
}

/** The value of a `Warning` response header for `text` (kubectl prints it as `Warning: <text>`). */
export function warningHeader(text: string): string {
  return `299 - ${JSON.stringify(printableWarning(text))}`;
}
