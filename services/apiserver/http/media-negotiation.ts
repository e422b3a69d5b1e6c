/**
 * Which form an answer takes, from the request's Accept header, as Kubernetes negotiates it:
 * the client's media ranges in preference order (lib/api/accept-header), the first one the
 * server can produce wins — JSON, YAML, a meta.k8s.io Table (`application/json;as=Table;
 * g=meta.k8s.io;v=v1`) or Kubernetes protobuf. One deliberate difference: protobuf is chosen only
 * when nothing else acceptable is left, so typed clients' `application/vnd.kubernetes.protobuf,
 * application/json` gets JSON (every kubectl request accepts JSON; see the wire contract §2.2).
 * A conversion the server does not make (`as=PartialObjectMetadata`, …) skips that range. When
 * no range is left, the answer is 406 NotAcceptable naming what is served, in Kubernetes' words.
 * No Accept header, `*\/*` and `application/*` get JSON.
 */
import { parseAccept, rangeMatches, type MediaRange } from '../../../lib/api/accept-header';
import { ApiError } from '../../../lib/api/errors';

export const JSON_TYPE = 'application/json';
export const YAML_TYPE = 'application/yaml';
export const PROTOBUF_TYPE = 'application/vnd.kubernetes.protobuf';

/** The media types objects are served in, in Kubernetes' order (for 406 messages). */
export const OBJECT_MEDIA_TYPES: readonly string[] = [JSON_TYPE, YAML_TYPE, PROTOBUF_TYPE];

/** How a response is written. */
export type ResponseForm =
  | { readonly type: 'json' }
  | { readonly type: 'yaml' }
  | { readonly type: 'protobuf' }
  /** A meta.k8s.io Table of the given version (v1 or v1beta1). */
  | { readonly type: 'table'; readonly version: string };

const TABLE_VERSIONS = new Set(['v1', 'v1beta1']);

/** The form one media range asks for, if the server can produce it. */
function formOf(range: MediaRange): ResponseForm | undefined {
  const as = range.params.get('as');
  if (as !== undefined) {
    const version = range.params.get('v') ?? 'v1';
    const asTable = as === 'Table' && range.params.get('g') === 'meta.k8s.io' && TABLE_VERSIONS.has(version);
    return asTable && range.type === 'application' && range.subtype === 'json' ? { type: 'table', version } : undefined;
  }
  if (rangeMatches(range, 'application', 'json')) return { type: 'json' };
  if (range.type === 'application' && range.subtype === 'yaml') return { type: 'yaml' };
  if (range.type === 'application' && range.subtype === 'vnd.kubernetes.protobuf') return { type: 'protobuf' };
  return undefined;
}

/** The form `accept` asks for, or undefined when the server can produce nothing it accepts. */
export function negotiate(accept: string | undefined): ResponseForm | undefined {
  let protobuf: ResponseForm | undefined;
  for (const range of parseAccept(accept)) {
    const form = formOf(range);
    if (form?.type === 'protobuf') protobuf ??= form;
    else if (form) return form;
  }
  return protobuf;
}

/** 406 NotAcceptable listing the media types that are served. */
export function notAcceptable(served: readonly string[] = OBJECT_MEDIA_TYPES): ApiError {
  return new ApiError(406, 'NotAcceptable', `only the following media types are accepted: ${served.join(', ')}`);
}

/** negotiate, or a 406 listing `served` when nothing acceptable can be produced. */
export function negotiateOrRefuse(accept: string | undefined, served: readonly string[] = OBJECT_MEDIA_TYPES): ResponseForm {
  const form = negotiate(accept);
  if (!form) throw notAcceptable(served);
  return form;
}
