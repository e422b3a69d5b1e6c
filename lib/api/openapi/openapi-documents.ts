/**
 * The OpenAPI documents of one resource set as served bytes: JSON text built once and kept (the
 * documents are immutable for the life of the process), the stable content hash of each
 * group-version document, the `/openapi/v3` index that points at them, and the one place that
 * maps an `/openapi/...` request to a response.
 *
 * What kubectl 1.32 does with them (wire contract §3.4): `explain` reads v3 first, then v2;
 * `create -f`/`apply` read the v3 group-version document to see that `patch` operations take
 * `fieldValidation`, and fall back to `/openapi/v2` for a kind v3 does not have (a misspelt kind:
 * see openapi-v2-protobuf.ts). kubectl only ever asks for v2 as protobuf
 * (`application/com.github.proto-openapi.spec.v2@v1.0+protobuf`), so v2 is served in both forms,
 * negotiated as Kubernetes' OpenAPI handler does: the client's media ranges in preference order,
 * the first that names JSON or the protobuf form wins (`*\/*` and no Accept get JSON), none is a
 * 406.
 */
import { createHash } from 'node:crypto';
import { parseAccept, rangeMatches } from '../accept-header';
import { groupVersionPaths, openApiV2, openApiV3Group, OpenApiOptions } from './documents';
import { encodeOpenApiV2 } from './openapi-v2-protobuf';
import type { OpenApiResource } from './paths';

/** The protobuf form of /openapi/v2 as kubectl asks for it (and as Kubernetes still accepts it). */
export const OPENAPI_V2_PROTOBUF_REQUESTED = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';
/** The protobuf form of /openapi/v2 as Kubernetes names it in answers (and accepts it too). */
export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';
const JSON_TYPE = 'application/json';

/** The `/openapi/v3` discovery document: group-version path → where its document is. */
export interface OpenApiV3Index {
  paths: Record<string, { serverRelativeURL: string }>;
}

/** Upper-case hex SHA-512 of a document's bytes: how Kubernetes names its v3 document versions. */
export function contentHash(text: string): string {
  return createHash('sha512').update(text).digest('hex').toUpperCase();
}

/** The documents of one resource set, serialised lazily and at most once each. */
export class OpenApiDocuments {
  private readonly resources: ReadonlyArray<OpenApiResource>;
  private v2Text?: string;
  private v2Bytes?: Uint8Array;
  private readonly groups = new Map<string, { text: string; hash: string } | undefined>();
  private indexDoc?: OpenApiV3Index;
  private indexText?: string;

  constructor(resources: ReadonlyArray<OpenApiResource>, private readonly opts: OpenApiOptions = {}) {
    this.resources = resources.map((r) => ({ group: r.group, version: r.version, kind: r.kind, resource: r.resource, namespaced: r.namespaced }));
  }

  /** The Swagger 2.0 document as JSON text. */
  v2Json(): string {
    return (this.v2Text ??= JSON.stringify(openApiV2(this.resources, this.opts)));
  }

  /** The Swagger 2.0 document in gnostic's protobuf form. */
  v2Protobuf(): Uint8Array {
    return (this.v2Bytes ??= encodeOpenApiV2(openApiV2(this.resources, this.opts)));
  }

  /** Group-version paths served (`api/v1`, `apis/apps/v1`, …), sorted. */
  groupVersions(): string[] {
    return groupVersionPaths(this.resources);
  }

  /** The OpenAPI 3.0 document of `gvPath` as JSON text and its hash; undefined if not served. */
  v3Group(gvPath: string): { text: string; hash: string } | undefined {
    if (!this.groups.has(gvPath)) {
      const doc = openApiV3Group(this.resources, gvPath, this.opts);
      const text = doc && JSON.stringify(doc);
      this.groups.set(gvPath, text === undefined ? undefined : { text, hash: contentHash(text) });
    }
    return this.groups.get(gvPath);
  }

  /** The `/openapi/v3` index: each group version's URL carries its document's content hash. */
  v3Index(): OpenApiV3Index {
    if (!this.indexDoc) {
      const paths: OpenApiV3Index['paths'] = {};
      for (const gv of this.groupVersions()) {
        paths[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=${this.v3Group(gv)!.hash}` };
      }
      this.indexDoc = { paths };
    }
    return this.indexDoc;
  }

  /** The `/openapi/v3` index as JSON text. */
  v3IndexJson(): string {
    return (this.indexText ??= JSON.stringify(this.v3Index()));
  }
}

/** How many resource sets' documents are kept by openApiDocuments (older ones are dropped). */
export const OPENAPI_CACHE_ENTRIES = 4;
const cache = new Map<string, OpenApiDocuments>();

/** The (cached) documents of a resource set; equal resource lists share one instance. */
export function openApiDocuments(resources: ReadonlyArray<OpenApiResource>, opts: OpenApiOptions = {}): OpenApiDocuments {
  const key = JSON.stringify([opts.infoVersion ?? '', resources.map((r) => [r.group, r.version, r.kind, r.resource, r.namespaced])]);
  let docs = cache.get(key);
  if (!docs) {
    docs = new OpenApiDocuments(resources, opts);
    if (cache.size >= OPENAPI_CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
    cache.set(key, docs);
  }
  return docs;
}

/** The `/openapi/v3` discovery document of a resource set. */
export function openApiV3Index(resources: ReadonlyArray<OpenApiResource>, opts: OpenApiOptions = {}): OpenApiV3Index {
  return openApiDocuments(resources, opts).v3Index();
}

/** An HTTP answer to an `/openapi/...` request. */
export interface OpenApiResponse {
  status: 200 | 404 | 406;
  headers: Record<string, string>;
  /** Text, or the bytes of the protobuf form. */
  body: string | Uint8Array;
}

/** Kubernetes' cache policy for a v3 document requested by its current hash. */
const IMMUTABLE = 'public, immutable';
const NO_CACHE = 'no-cache, private';

function failure(code: 404 | 406, reason: string, message: string): OpenApiResponse {
  const status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, details: {}, code };
  return { status: code, headers: { 'Content-Type': JSON_TYPE }, body: JSON.stringify(status) };
}

function notFound(message: string): OpenApiResponse {
  return failure(404, 'NotFound', message);
}

function notAcceptable(served: readonly string[]): OpenApiResponse {
  return failure(406, 'NotAcceptable', `only the following media types are accepted: ${served.join(', ')}`);
}

/**
 * The first of `served` (media types, in the server's order) that the client's Accept ranges
 * allow, trying the ranges in the client's preference order; undefined when none is allowed.
 */
function chooseMediaType(accept: string | undefined, served: readonly string[]): string | undefined {
  for (const range of parseAccept(accept)) {
    const match = served.find((type) => {
      const [main, sub] = type.split('/') as [string, string];
      return rangeMatches(range, main, sub);
    });
    if (match) return match;
  }
  return undefined;
}

/** What /openapi/v2 is served as, in Kubernetes' order: the answer's Content-Type for each. */
const V2_MEDIA_TYPES: ReadonlyMap<string, string> = new Map([
  [JSON_TYPE, JSON_TYPE],
  [OPENAPI_V2_PROTOBUF_REQUESTED, OPENAPI_V2_PROTOBUF],
  [OPENAPI_V2_PROTOBUF, OPENAPI_V2_PROTOBUF],
]);

/**
 * The answer to GET `pathname` (no query) with `query` and `Accept` header, or undefined when
 * the path is not an OpenAPI path. `/openapi/v2` is JSON or protobuf as negotiated (see the module
 * comment); both forms carry the JSON text's hash as ETag, as Kubernetes' do.
 */
export function openApiResponse(
  docs: OpenApiDocuments, pathname: string, query: URLSearchParams, accept: string | undefined,
): OpenApiResponse | undefined {
  if (pathname === '/openapi/v2' || pathname === '/swagger.json') {
    const type = chooseMediaType(accept, [...V2_MEDIA_TYPES.keys()]);
    if (!type) return notAcceptable([...new Set(V2_MEDIA_TYPES.values())]);
    const text = docs.v2Json();
    const headers = { 'Content-Type': V2_MEDIA_TYPES.get(type)!, ETag: `"${contentHash(text)}"`, 'Cache-Control': NO_CACHE, Vary: 'Accept' };
    return { status: 200, headers, body: type === JSON_TYPE ? text : docs.v2Protobuf() };
  }
  if (pathname === '/openapi/v3' || pathname === '/openapi/v3/') {
    return { status: 200, headers: { 'Content-Type': 'application/json', 'Cache-Control': NO_CACHE }, body: docs.v3IndexJson() };
  }
  if (!pathname.startsWith('/openapi/v3/')) return undefined;
  const group = docs.v3Group(pathname.slice('/openapi/v3/'.length));
  if (!group) return notFound(`the server could not find the requested resource`);
  if (!chooseMediaType(accept, [JSON_TYPE])) return notAcceptable([JSON_TYPE]);
  const current = query.get('hash') === group.hash;
  return {
    status: 200,
    headers: { 'Content-Type': 'application/json', ETag: `"${group.hash}"`, 'Cache-Control': current ? IMMUTABLE : NO_CACHE },
    body: group.text,
  };
}

