/**
 * The resource half of the HTTP API: maps a parsed resource path, method, query and body onto
 * one ResourceRest call and writes its answer — objects, lists and Tables in the negotiated
 * form, watch streams, Status errors. No API rule lives here: admission, defaulting,
 * validation, patching and storage are all behind ResourceRest; this file only translates
 * HTTP (paths, query parameters, DeleteOptions bodies, media types, and the field validation of
 * create/update JSON bodies, which the gRPC door's typed messages cannot carry).
 */
import { requestWarnings } from '../authn/request-user';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, BadRequestError, MethodNotAllowedError, UnsupportedMediaTypeError } from '../../../lib/api/errors';
import { escapeFieldValue } from '../../../lib/api/field-selector';
import { apiVersionOf, type KubeObject } from '../../../lib/api/object';
import { SUPPORTED_PATCH_TYPES } from '../../../lib/api/patch';
import { toTable, type IncludeObject } from '../../../lib/api/printers/table';
import { warningsOf } from '../../../lib/api/warnings';
import type { ResourceSet } from '../rest/resource-set';
import { dryRunOf, deleteRequestFrom } from '../rest/delete-options';
import { isBindable, isConnectable, type ConnectableRest, isEvictable, isFinalizable, isScalable, isTokenRequestable, type DeleteRequest, type ListRequest, type ResourceRest, type UpdateRequest } from '../rest/resource-rest';
import { decodeErrorContext, duplicateFields, enforceFieldValidation, parseFieldValidation, unknownFields } from '../rest/field-validation';
import { decodeBody, isJsonContentType, JSON_TYPE, mediaType, sendJson, sendObject, warningHeader } from './http-io';
import { notAcceptable, type ResponseForm } from './media-negotiation';
import { readBody } from './request-body';
import type { ResourcePath } from './request-path';
import { serveWatch } from './watch-stream';
import type { NodeStreamProxy } from './node-stream-proxy';

/** The media types a watch stream is served in (for its 406). */
const WATCH_MEDIA_TYPES = [JSON_TYPE, `${JSON_TYPE};stream=watch`];

/** One request as the resource handler sees it. */
export interface ResourceRequest {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly query: URLSearchParams;
  readonly form: ResponseForm;
}

/** Serves the resource paths of every resource in a ResourceSet. */
export class ResourceHandler {
  constructor(
    private readonly resources: ResourceSet,
    private readonly now: () => Date,
    /** Proxies pods/log to node agents (absent: logs answer 503). */
    private readonly streams?: NodeStreamProxy,
  ) {}

  /** Serves one request on a resource path; throws ApiErrors for the caller to write as a Status. */
  async handle(r: ResourceRequest, path: ResourcePath): Promise<void> {
    const rest = this.resources.byVersion(path.group, path.version, path.resource);
    if (!rest || (path.namespace !== undefined && !rest.info.namespaced)) {
      throw notFoundPath();
    }
    const ns = rest.info.namespaced ? path.namespace : undefined;
    if (rest.info.namespaced && path.name !== undefined && ns === undefined) throw notFoundPath();
    const method = r.req.method ?? 'GET';
    const q = r.query;

    if (path.watch || (path.name === undefined && method === 'GET' && isTrue(q.get('watch')))) {
      if (method !== 'GET') throw new MethodNotAllowedError(`${method} is not allowed on a watch`);
      if (path.subresource !== undefined) throw notFoundPath();
      return this.watch(r, rest, ns, path.name);
    }

    if (path.name === undefined) {
      switch (method) {
        case 'GET':
          return this.list(r, rest, ns);
        case 'POST':
          if (rest.info.namespaced && ns === undefined) throw new MethodNotAllowedError(`create of ${rest.info.resource} needs a namespace in the path`);
          return this.create(r, rest, ns);
        case 'DELETE':
          if (rest.info.namespaced && ns === undefined) throw new MethodNotAllowedError(`deletecollection of ${rest.info.resource} needs a namespace in the path`);
          return this.deleteCollection(r, rest, ns);
        default:
          throw methodNotAllowed(method, 'GET, POST, DELETE');
      }
    }
    const name = path.name;

    if (path.subresource === undefined) {
      switch (method) {
        case 'GET':
          return this.get(r, rest, ns, name);
        case 'PUT':
          return this.update(r, rest, ns, name, undefined);
        case 'PATCH':
          return this.patch(r, rest, ns, name, undefined);
        case 'DELETE':
          return this.delete(r, rest, ns, name);
        default:
          throw methodNotAllowed(method, 'GET, PUT, PATCH, DELETE');
      }
    }

    const sub = path.subresource;
    if (sub === 'status' && rest.subresources.includes('status')) {
      switch (method) {
        case 'GET':
          return this.get(r, rest, ns, name);
        case 'PUT':
          return this.update(r, rest, ns, name, 'status');
        case 'PATCH':
          return this.patch(r, rest, ns, name, 'status');
        default:
          throw methodNotAllowed(method, 'GET, PUT, PATCH');
      }
    }
    if (sub === 'scale' && isScalable(rest)) {
      switch (method) {
        case 'GET':
          return sendObject(r.res, 200, await rest.getScale(ns, name), r.form);
        case 'PUT': {
          const { value } = await this.body(r);
          const scale = await rest.updateScale(ns, name, value as KubeObject, { dryRun: dryRun(q) });
          return sendObject(r.res, 200, scale, r.form);
        }
        case 'PATCH': {
          const contentType = checkPatchType(r);
          const body = await readBody(r.req);
          const scale = await rest.patchScale(ns, name, contentType, body, { dryRun: dryRun(q) });
          return sendObject(r.res, 200, scale, withoutTable(r.form));
        }
        default:
          throw methodNotAllowed(method, 'GET, PUT, PATCH');
      }
    }
    if (sub === 'finalize' && isFinalizable(rest)) {
      if (method !== 'PUT') throw methodNotAllowed(method, 'PUT');
      const { value } = await this.body(r);
      const obj = await rest.finalize(name, value as KubeObject, { dryRun: dryRun(q) });
      return sendObject(r.res, 200, withIdentity(rest, obj), r.form);
    }
    if (sub === 'binding' && isBindable(rest)) {
      if (method !== 'POST') throw methodNotAllowed(method, 'POST');
      const { value } = await this.body(r);
      await rest.bind(ns, name, value as KubeObject, { dryRun: dryRun(q) });
      return sendJson(r.res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
    }
    if (sub === 'eviction' && isEvictable(rest)) {
      if (method !== 'POST') throw methodNotAllowed(method, 'POST');
      const { value } = await this.body(r);
      await rest.evict(ns, name, value as KubeObject, { dryRun: dryRun(q) });
      return sendJson(r.res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
    }
    if (sub === 'token' && isTokenRequestable(rest)) {
      if (method !== 'POST') throw methodNotAllowed(method, 'POST');
      const { value } = await this.body(r);
      return sendObject(r.res, 201, await rest.createToken(ns, name, value as KubeObject, { dryRun: dryRun(q) }), withoutTable(r.form));
    }
    if (isConnectable(rest, sub)) return this.connect(r, rest, ns, name, sub);
    throw notFoundPath();
  }

  /**
   * A streaming subresource without an upgrade: the log is proxied from the pod's node; exec,
   * attach and portforward need an upgrade (the HTTP API's upgrade handler serves those), so a
   * plain request gets Kubernetes' 400 once the pod and container check out.
   */
  private async connect(r: ResourceRequest, rest: ResourceRest & ConnectableRest, ns: string | undefined, name: string, sub: string): Promise<void> {
    const method = r.req.method ?? 'GET';
    if (sub === 'log') {
      if (method !== 'GET') throw methodNotAllowed(method, 'GET');
      const location = await rest.connect(ns, name, sub, r.query);
      if (!this.streams) throw new ApiError(503, 'ServiceUnavailable', 'this apiserver does not proxy to node agents');
      return this.streams.proxyLogs(location, r.req, r.res);
    }
    await rest.connect(ns, name, sub, r.query);
    throw new BadRequestError('Upgrade request required');
  }

  private async get(r: ResourceRequest, rest: ResourceRest, ns: string | undefined, name: string): Promise<void> {
    const rv = r.query.get('resourceVersion');
    const obj = await rest.get(ns, name, { resourceVersion: rv ?? undefined });
    if (r.form.type === 'table') {
      const table = toTable([obj], { now: this.now(), kind: rest.info.kind, resourceVersion: obj.metadata.resourceVersion, includeObject: includeObject(r.query) });
      return sendJson(r.res, 200, { ...table, apiVersion: `meta.k8s.io/${r.form.version}` }, {}, tableContentType(r.form.version));
    }
    return sendObject(r.res, 200, withIdentity(rest, obj), r.form);
  }

  private async list(r: ResourceRequest, rest: ResourceRest, ns: string | undefined): Promise<void> {
    const q = r.query;
    const list = await rest.list(ns, listRequest(q));
    if (r.form.type === 'table') {
      const table = toTable(list.items, {
        now: this.now(),
        kind: rest.info.kind,
        resourceVersion: list.metadata.resourceVersion,
        continue: list.metadata.continue,
        includeObject: includeObject(q),
      });
      return sendJson(r.res, 200, { ...table, apiVersion: `meta.k8s.io/${r.form.version}` }, warningHeaders(warningsOf(list)), tableContentType(r.form.version));
    }
    return sendObject(r.res, 200, list as unknown as Record<string, unknown>, r.form, warningHeaders(warningsOf(list)));
  }

  private async watch(r: ResourceRequest, rest: ResourceRest, ns: string | undefined, name: string | undefined): Promise<void> {
    const q = r.query;
    let fieldSelector = q.get('fieldSelector') || undefined;
    if (name !== undefined) {
      const byName = `metadata.name=${escapeFieldValue(name)}`;
      fieldSelector = fieldSelector ? `${fieldSelector},${byName}` : byName;
    }
    if (r.form.type !== 'json' && r.form.type !== 'table') throw notAcceptable(WATCH_MEDIA_TYPES);
    const timeoutSeconds = intParam(q, 'timeoutSeconds');
    if (timeoutSeconds !== undefined && timeoutSeconds < 0) {
      throw new BadRequestError(`timeoutSeconds: Invalid value: ${timeoutSeconds}: must be greater than or equal to 0`);
    }
    await serveWatch(
      r.res,
      rest,
      ns,
      {
        labelSelector: q.get('labelSelector') || undefined,
        fieldSelector,
        resourceVersion: q.get('resourceVersion') || undefined,
        allowWatchBookmarks: isTrue(q.get('allowWatchBookmarks')),
      },
      timeoutSeconds,
      { table: r.form.type === 'table' ? r.form.version : undefined, includeObject: includeObject(q), now: this.now },
    );
  }

  private async create(r: ResourceRequest, rest: ResourceRest, ns: string | undefined): Promise<void> {
    const warnings: string[] = [];
    const obj = await this.objectBody(r, rest, warnings);
    const created = await rest.create(ns, obj, writeOptions(r.query));
    return sendObject(r.res, 201, withIdentity(rest, created), withoutTable(r.form), warningHeaders([...warnings, ...requestWarnings()]));
  }

  private async update(r: ResourceRequest, rest: ResourceRest, ns: string | undefined, name: string, subresource: 'status' | undefined): Promise<void> {
    const warnings: string[] = [];
    const obj = await this.objectBody(r, rest, warnings);
    const opts: UpdateRequest = { ...writeOptions(r.query), subresource };
    const updated = await rest.update(ns, name, obj, opts);
    return sendObject(r.res, 200, withIdentity(rest, updated), withoutTable(r.form), warningHeaders([...warnings, ...requestWarnings()]));
  }

  private async patch(r: ResourceRequest, rest: ResourceRest, ns: string | undefined, name: string, subresource: 'status' | undefined): Promise<void> {
    const contentType = checkPatchType(r);
    const fieldValidation = parseFieldValidation(r.query.get('fieldValidation'));
    const body = await readBody(r.req);
    const patched = await rest.patch(ns, name, contentType, body, { ...writeOptions(r.query), subresource, fieldValidation });
    return sendObject(r.res, 200, withIdentity(rest, patched), withoutTable(r.form), warningHeaders([...warningsOf(patched), ...requestWarnings()]));
  }

  private async delete(r: ResourceRequest, rest: ResourceRest, ns: string | undefined, name: string): Promise<void> {
    const opts = await this.deleteOptions(r);
    const outcome = await rest.delete(ns, name, opts);
    const obj = withIdentity(rest, outcome.object);
    if (!outcome.deleted) {
      // Only marked (graceful deletion or finalizers): the object as it now stands.
      return sendObject(r.res, opts.orphanDependents === false ? 202 : 200, obj, withoutTable(r.form));
    }
    if (rest.returnsDeletedObject) return sendObject(r.res, 200, obj, withoutTable(r.form));
    return sendJson(r.res, 200, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: { name, group: rest.info.group, kind: rest.info.resource, uid: outcome.object.metadata.uid },
    });
  }

  private async deleteCollection(r: ResourceRequest, rest: ResourceRest, ns: string | undefined): Promise<void> {
    const opts = await this.deleteOptions(r);
    const list = await rest.deleteCollection(ns, listRequest(r.query), opts);
    const answer = { apiVersion: list.apiVersion, kind: list.kind, metadata: list.metadata, items: list.items.map((o) => withIdentity(rest, o)) };
    return sendObject(r.res, 200, answer, withoutTable(r.form), warningHeaders(warningsOf(list)));
  }

  /** DeleteOptions from the body (JSON, possibly empty) with query parameters overriding. */
  private async deleteOptions(r: ResourceRequest): Promise<DeleteRequest> {
    const raw = await readBody(r.req);
    let body: Record<string, unknown> = {};
    if (raw.length > 0 && raw.toString('utf8').trim() !== '') {
      const { value } = decodeBody(raw, r.req.headers['content-type']);
      if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new BadRequestError('the DeleteOptions body must be a JSON object');
      body = value as Record<string, unknown>;
    }
    const fromBody = deleteRequestFrom(body);
    const q = r.query;
    const policyQ = q.get('propagationPolicy');
    const orphanQ = q.get('orphanDependents');
    const ignoreReadError = q.get('ignoreStoreReadErrorWithClusterBreakingPotential');
    return {
      ...fromBody,
      gracePeriodSeconds: intParam(q, 'gracePeriodSeconds') ?? fromBody.gracePeriodSeconds,
      propagationPolicy: policyQ !== null ? policyQ || undefined : fromBody.propagationPolicy,
      orphanDependents: orphanQ !== null ? isTrue(orphanQ) : fromBody.orphanDependents,
      dryRun: dryRun(q) || fromBody.dryRun,
      ignoreStoreReadErrorWithClusterBreakingPotential: ignoreReadError !== null ? isTrue(ignoreReadError) : fromBody.ignoreStoreReadErrorWithClusterBreakingPotential,
    };
  }

  /** The decoded body of a create or update, with field validation applied. */
  private async objectBody(r: ResourceRequest, rest: ResourceRest, warnings: string[]): Promise<KubeObject> {
    const validation = parseFieldValidation(r.query.get('fieldValidation'));
    const { value, raw, protobuf } = await this.body(r);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new BadRequestError('the request body must be an object');
    if (!protobuf && validation !== 'Ignore') {
      const apiVersion = apiVersionOf(rest.info);
      const duplicates = isJsonContentType(r.req.headers['content-type']) ? duplicateFields(raw.toString('utf8')) : [];
      enforceFieldValidation(validation, unknownFields(value, apiVersion, rest.info.kind), duplicates, warnings, decodeErrorContext(apiVersion, rest.info.kind));
    }
    return value as KubeObject;
  }

  private async body(r: ResourceRequest): Promise<{ value: unknown; raw: Buffer; protobuf: boolean }> {
    const raw = await readBody(r.req);
    const decoded = decodeBody(raw, r.req.headers['content-type']);
    return { ...decoded, raw };
  }
}

/** Kubernetes' answer for a path that names nothing served. */
export function notFoundPath(): ApiError {
  return new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
}

function methodNotAllowed(method: string, allowed: string): ApiError {
  return new MethodNotAllowedError(`the server does not allow this method on the requested resource: ${method} (allowed: ${allowed})`);
}

/** The object with apiVersion and kind (stored objects have them; this guards the response). */
function withIdentity(rest: ResourceRest, obj: KubeObject): KubeObject {
  if (obj.apiVersion && obj.kind) return obj;
  return { apiVersion: apiVersionOf(rest.info), kind: rest.info.kind, ...obj };
}

/** The form of a write's answer: as negotiated, but JSON for a Table (Tables are for reads). */
function withoutTable(form: ResponseForm): ResponseForm {
  return form.type === 'table' ? { type: 'json' } : form;
}

function tableContentType(version: string): string {
  return `application/json;as=Table;v=${version};g=meta.k8s.io`;
}

/** The Content-Type of a patch request; 415 for a patch type no one serves here (before the body is read). */
function checkPatchType(r: ResourceRequest): string {
  const contentType = r.req.headers['content-type'] ?? '';
  if (SUPPORTED_PATCH_TYPES.includes(mediaType(contentType))) return contentType;
  throw new UnsupportedMediaTypeError(`the body of the request was in an unknown format - accepted media types include: ${SUPPORTED_PATCH_TYPES.join(', ')}`);
}

function writeOptions(q: URLSearchParams): { dryRun: boolean; fieldManager?: string; force?: boolean } {
  return { dryRun: dryRun(q), fieldManager: q.get('fieldManager') || undefined, ...(isTrue(q.get('force')) ? { force: true } : {}) };
}

function dryRun(q: URLSearchParams): boolean {
  return dryRunOf(q.getAll('dryRun'));
}

/** The list options of a list or deletecollection request. */
function listRequest(q: URLSearchParams): ListRequest {
  return {
    labelSelector: q.get('labelSelector') || undefined,
    fieldSelector: q.get('fieldSelector') || undefined,
    limit: intParam(q, 'limit'),
    continue: q.get('continue') || undefined,
    resourceVersion: q.get('resourceVersion') ?? undefined,
    resourceVersionMatch: q.get('resourceVersionMatch') || undefined,
  };
}

function includeObject(q: URLSearchParams): IncludeObject {
  const v = q.get('includeObject');
  if (v === null || v === '') return 'Metadata';
  if (v === 'None' || v === 'Metadata' || v === 'Object') return v;
  throw new BadRequestError(`includeObject: Unsupported value: "${v}": supported values: "None", "Metadata", "Object"`);
}

function isTrue(v: string | null): boolean {
  return v === 'true' || v === '1';
}

/** An integer query parameter (undefined when absent); 400 when not an integer. */
function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw new BadRequestError(`${name}: Invalid value: "${v}": must be an integer`);
  return Number(v);
}

function warningHeaders(warnings: readonly string[]): Record<string, string[]> {
  return warnings.length > 0 ? { Warning: warnings.map(warningHeader) } : {};
}
