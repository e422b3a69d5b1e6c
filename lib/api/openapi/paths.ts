/**
 * The `paths` of an OpenAPI document: for each served resource its collection and item URLs with
 * list/create/get/replace/patch/delete operations. Each operation carries
 * `x-kubernetes-group-version-kind` and `x-kubernetes-action`; writes carry the `fieldValidation`
 * query parameter, which is how kubectl (1.27+) learns that the server validates fields itself
 * and sends `fieldValidation=Strict` instead of validating on the client (wire contract §3.4).
 */
import type { GroupVersionKind, JsonSchema, OpenApiDialect } from './definitions';

/** What the documents need to know about one served resource (a subset of ResourceInfo). */
export interface OpenApiResource {
  /** API group; "" for the core group. */
  group: string;
  version: string;
  kind: string;
  /** Plural lower-case resource name, e.g. "deployments". */
  resource: string;
  namespaced: boolean;
}

/** `api/v1` for the core group, `apis/<group>/<version>` otherwise (the /openapi/v3 index key). */
export function groupVersionPath(r: Pick<OpenApiResource, 'group' | 'version'>): string {
  return r.group ? `apis/${r.group}/${r.version}` : `api/${r.version}`;
}

/** `apps` → `Apps`, `rbac.authorization.k8s.io` → `RbacAuthorization`, core → `Core` (operationId part). */
function groupWord(group: string): string {
  if (!group) return 'Core';
  return group.replace(/\.k8s\.io$/, '').split('.').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}

const PATCH_TYPES = [
  'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
];

interface ParamSpec {
  name: string;
  in: 'path' | 'query';
  type: 'string' | 'boolean' | 'integer';
  description: string;
}

const NAME: ParamSpec = { name: 'name', in: 'path', type: 'string', description: 'name of the object' };
const NAMESPACE: ParamSpec = { name: 'namespace', in: 'path', type: 'string', description: 'object name and auth scope, such as for teams and projects' };
const DRY_RUN: ParamSpec = { name: 'dryRun', in: 'query', type: 'string', description: 'When present, indicates that modifications should not be persisted. Valid values are: - All: all dry run stages will be processed' };
const FIELD_MANAGER: ParamSpec = { name: 'fieldManager', in: 'query', type: 'string', description: 'fieldManager is a name associated with the actor or entity that is making these changes.' };
const FIELD_VALIDATION: ParamSpec = {
  name: 'fieldValidation', in: 'query', type: 'string',
  description: 'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore - Warn - Strict',
};
const FORCE: ParamSpec = { name: 'force', in: 'query', type: 'boolean', description: 'Force is going to "force" Apply requests. It must be unset for non-apply patch requests.' };
const LABEL_SELECTOR: ParamSpec = { name: 'labelSelector', in: 'query', type: 'string', description: 'A selector to restrict the list of returned objects by their labels. Defaults to everything.' };
const FIELD_SELECTOR: ParamSpec = { name: 'fieldSelector', in: 'query', type: 'string', description: 'A selector to restrict the list of returned objects by their fields. Defaults to everything.' };
const LIMIT: ParamSpec = { name: 'limit', in: 'query', type: 'integer', description: 'limit is a maximum number of responses to return for a list call.' };
const CONTINUE: ParamSpec = { name: 'continue', in: 'query', type: 'string', description: 'The continue option should be set when retrieving more results from the server.' };
const WATCH: ParamSpec = { name: 'watch', in: 'query', type: 'boolean', description: 'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications.' };
const RESOURCE_VERSION: ParamSpec = { name: 'resourceVersion', in: 'query', type: 'string', description: 'resourceVersion sets a constraint on what resource versions a request may be served from.' };
const GRACE_PERIOD: ParamSpec = { name: 'gracePeriodSeconds', in: 'query', type: 'integer', description: 'The duration in seconds before the object should be deleted.' };
const PROPAGATION: ParamSpec = { name: 'propagationPolicy', in: 'query', type: 'string', description: 'Whether and how garbage collection will be performed. Acceptable values are: \'Orphan\', \'Background\', \'Foreground\'.' };

function parameter(p: ParamSpec, dialect: OpenApiDialect): JsonSchema {
  const base: JsonSchema = { name: p.name, in: p.in, description: p.description };
  if (p.in === 'path') base.required = true;
  if (dialect === 'v2') return { ...base, type: p.type, uniqueItems: true };
  return { ...base, schema: { type: p.type, uniqueItems: true } };
}

/** Names of the definitions a resource's operations refer to. */
export interface ResourceSchemaNames {
  object: string;
  list?: string;
  status: string;
  deleteOptions: string;
  patch: string;
}

function body(ref: string, dialect: OpenApiDialect, contentTypes: string[]): { requestBody?: JsonSchema; parameter?: JsonSchema } {
  const schema = { $ref: ref };
  if (dialect === 'v2') return { parameter: { name: 'body', in: 'body', required: true, schema } };
  return { requestBody: { content: Object.fromEntries(contentTypes.map((t) => [t, { schema }])), required: true } };
}

function responses(ref: string, dialect: OpenApiDialect, codes: string[]): JsonSchema {
  const out: JsonSchema = {};
  for (const code of codes) {
    out[code] = dialect === 'v2'
      ? { description: code === '201' ? 'Created' : code === '202' ? 'Accepted' : 'OK', schema: { $ref: ref } }
      : {
        description: code === '201' ? 'Created' : code === '202' ? 'Accepted' : 'OK',
        content: { 'application/json': { schema: { $ref: ref } }, 'application/yaml': { schema: { $ref: ref } } },
      };
  }
  out['401'] = { description: 'Unauthorized' };
  return out;
}

/** The paths of one resource, with `$ref`s built by `refOf` from definition names. */
export function resourcePaths(
  r: OpenApiResource, names: ResourceSchemaNames, dialect: OpenApiDialect, refOf: (name: string) => string,
): Record<string, JsonSchema> {
  const base = '/' + groupVersionPath(r);
  const gvk: GroupVersionKind = { group: r.group, kind: r.kind, version: r.version };
  const word = `${groupWord(r.group)}${r.version.charAt(0).toUpperCase()}${r.version.slice(1)}`;
  const scope = r.namespaced ? 'Namespaced' : '';
  const collection = r.namespaced ? `${base}/namespaces/{namespace}/${r.resource}` : `${base}/${r.resource}`;
  const item = `${collection}/{name}`;
  const json = ['application/json', 'application/yaml'];
  const op = (action: string, verb: string, params: ParamSpec[], extra: JsonSchema): JsonSchema => {
    const operation: JsonSchema = {
      description: `${verb} ${r.kind}`,
      operationId: `${verb}${word}${scope}${r.kind}`,
      tags: [`${groupWord(r.group).charAt(0).toLowerCase()}${groupWord(r.group).slice(1)}_${r.version}`],
    };
    const bodyPart = extra.body as { requestBody?: JsonSchema; parameter?: JsonSchema } | undefined;
    const parameters = params.map((p) => parameter(p, dialect));
    if (bodyPart?.parameter) parameters.unshift(bodyPart.parameter);
    if (parameters.length > 0) operation.parameters = parameters;
    if (bodyPart?.requestBody) operation.requestBody = bodyPart.requestBody;
    if (dialect === 'v2') {
      if (extra.consumes) operation.consumes = extra.consumes;
      operation.produces = json;
      operation.schemes = ['https'];
    }
    operation.responses = extra.responses;
    operation['x-kubernetes-action'] = action;
    operation['x-kubernetes-group-version-kind'] = gvk;
    return operation;
  };
  const objectRef = refOf(names.object);
  const writes = [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION];
  const collectionOps: JsonSchema = {
    post: op('post', 'create', writes, {
      body: body(objectRef, dialect, json), consumes: json, responses: responses(objectRef, dialect, ['200', '201', '202']),
    }),
  };
  if (names.list) {
    collectionOps.get = op('list', 'list', [LABEL_SELECTOR, FIELD_SELECTOR, LIMIT, CONTINUE, RESOURCE_VERSION, WATCH], {
      responses: responses(refOf(names.list), dialect, ['200']),
    });
  }
  const itemOps: JsonSchema = {
    get: op('get', 'read', [], { responses: responses(objectRef, dialect, ['200']) }),
    put: op('put', 'replace', writes, {
      body: body(objectRef, dialect, json), consumes: json, responses: responses(objectRef, dialect, ['200', '201']),
    }),
    patch: op('patch', 'patch', [...writes, FORCE], {
      body: body(refOf(names.patch), dialect, PATCH_TYPES), consumes: PATCH_TYPES, responses: responses(objectRef, dialect, ['200', '201']),
    }),
    delete: op('delete', 'delete', [DRY_RUN, GRACE_PERIOD, PROPAGATION], {
      responses: responses(refOf(names.status), dialect, ['200', '202']),
    }),
  };
  const nsParams = r.namespaced ? [parameter(NAMESPACE, dialect)] : [];
  const paths: Record<string, JsonSchema> = {
    [collection]: nsParams.length > 0 ? { ...collectionOps, parameters: nsParams } : collectionOps,
    [item]: { ...itemOps, parameters: [parameter(NAME, dialect), ...nsParams] },
  };
  if (r.namespaced && names.list) {
    const listAll = op('list', 'list', [LABEL_SELECTOR, FIELD_SELECTOR, LIMIT, CONTINUE, RESOURCE_VERSION, WATCH], {
      responses: responses(refOf(names.list), dialect, ['200']),
    });
    listAll.operationId = `list${word}${r.kind}ForAllNamespaces`;
    paths[`${base}/${r.resource}`] = { get: listAll };
  }
  return paths;
}
