/**
 * The OpenAPI documents of the served resources, as plain JSON data: the Swagger 2.0 document of
 * `/openapi/v2` and the OpenAPI 3.0 document of one group version (`/openapi/v3/apis/apps/v1`).
 * Both are generated from the protobuf field table (see definitions.ts) and the resource list;
 * nothing is written per kind. Serialisation, hashing and the `/openapi/v3` index live in
 * openapi-documents.ts.
 */
import { findProtoKind } from '../proto/kinds';
import {
  buildDefinitions, definitionName, GroupVersionKind, JsonSchema, opaqueKindDefinition, OpenApiDialect, refPrefix,
} from './definitions';
import { groupVersionPath, OpenApiResource, resourcePaths, ResourceSchemaNames } from './paths';

/** The `info` block's version when the caller gives none (the Kubernetes minor kubectl expects). */
export const DEFAULT_OPENAPI_INFO_VERSION = 'v1.32.0';

/** Options shared by the document builders. */
export interface OpenApiOptions {
  /** `info.version` of the documents (the server's gitVersion). */
  infoVersion?: string;
}

const META = 'k8s.io.apimachinery.pkg.apis.meta.v1.';
const STATUS = META + 'Status';
const DELETE_OPTIONS = META + 'DeleteOptions';
/** The PATCH body: any JSON (a patch document), as Kubernetes defines it. */
const PATCH_NAME = 'io.k8s.apimachinery.pkg.apis.meta.v1.Patch';
const PATCH_DEFINITION: JsonSchema = {
  description: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.',
  type: 'object',
};

function apiVersionOf(r: Pick<OpenApiResource, 'group' | 'version'>): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

/** Definitions and paths of a set of resources, in one dialect. */
function assemble(resources: ReadonlyArray<OpenApiResource>, dialect: OpenApiDialect): {
  definitions: Record<string, JsonSchema>;
  paths: Record<string, JsonSchema>;
} {
  const gvks = new Map<string, GroupVersionKind[]>();
  const addGvk = (message: string, gvk: GroupVersionKind): void => {
    const list = gvks.get(message) ?? [];
    if (!list.some((g) => g.group === gvk.group && g.version === gvk.version && g.kind === gvk.kind)) list.push(gvk);
    gvks.set(message, list);
  };
  const roots: string[] = [STATUS, DELETE_OPTIONS];
  const opaque: Record<string, JsonSchema> = {};
  const names: ResourceSchemaNames[] = [];
  for (const r of resources) {
    const apiVersion = apiVersionOf(r);
    const kind = findProtoKind(apiVersion, r.kind);
    const list = findProtoKind(apiVersion, `${r.kind}List`);
    let object: string;
    if (kind) {
      roots.push(kind.message);
      addGvk(kind.message, { group: r.group, version: r.version, kind: r.kind });
      object = definitionName(kind.message);
    } else {
      const def = opaqueKindDefinition({ group: r.group, version: r.version, kind: r.kind });
      opaque[def.name] = def.schema;
      object = def.name;
    }
    if (list) {
      roots.push(list.message);
      addGvk(list.message, { group: r.group, version: r.version, kind: `${r.kind}List` });
    }
    names.push({
      object, list: list ? definitionName(list.message) : undefined,
      status: definitionName(STATUS), deleteOptions: definitionName(DELETE_OPTIONS), patch: PATCH_NAME,
    });
  }
  const definitions: Record<string, JsonSchema> = { ...buildDefinitions(roots, gvks, dialect), ...opaque, [PATCH_NAME]: PATCH_DEFINITION };
  const sorted: Record<string, JsonSchema> = {};
  for (const name of Object.keys(definitions).sort()) sorted[name] = definitions[name]!;
  const paths: Record<string, JsonSchema> = {};
  const prefix = refPrefix(dialect);
  resources.forEach((r, i) => Object.assign(paths, resourcePaths(r, names[i]!, dialect, (name) => prefix + name)));
  const sortedPaths: Record<string, JsonSchema> = {};
  for (const p of Object.keys(paths).sort()) sortedPaths[p] = paths[p]!;
  return { definitions: sorted, paths: sortedPaths };
}

/**
 * The Swagger 2.0 document of `/openapi/v2`: `definitions` keyed like Kubernetes'
 * (`io.k8s.api.apps.v1.Deployment`), `x-kubernetes-group-version-kind` on each kind (and list)
 * definition, patch metadata on merge lists, and paths for every resource.
 */
export function openApiV2(resources: ReadonlyArray<OpenApiResource>, opts: OpenApiOptions = {}): JsonSchema {
  const { definitions, paths } = assemble(resources, 'v2');
  return {
    swagger: '2.0',
    info: { title: 'Kubernetes', version: opts.infoVersion ?? DEFAULT_OPENAPI_INFO_VERSION },
    paths,
    definitions,
    securityDefinitions: { BearerToken: { description: 'Bearer Token authentication', in: 'header', name: 'authorization', type: 'apiKey' } },
    security: [{ BearerToken: [] }],
  };
}

/** The group-version paths (`api/v1`, `apis/apps/v1`) of the resources, sorted, each once. */
export function groupVersionPaths(resources: ReadonlyArray<OpenApiResource>): string[] {
  return [...new Set(resources.map(groupVersionPath))].sort();
}

/**
 * The OpenAPI 3.0 document of one group version (`api/v1`, `apis/apps/v1`): `components.schemas`
 * named like the v2 definitions and paths for that group version's resources; undefined when no
 * served resource belongs to it.
 */
export function openApiV3Group(
  resources: ReadonlyArray<OpenApiResource>, gvPath: string, opts: OpenApiOptions = {},
): JsonSchema | undefined {
  const mine = resources.filter((r) => groupVersionPath(r) === gvPath);
  if (mine.length === 0) return undefined;
  const { definitions, paths } = assemble(mine, 'v3');
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: opts.infoVersion ?? DEFAULT_OPENAPI_INFO_VERSION },
    paths,
    components: {
      schemas: definitions,
      securitySchemes: { BearerToken: { description: 'Bearer Token authentication', in: 'header', name: 'authorization', type: 'apiKey' } },
    },
    security: [{ BearerToken: [] }],
  };
}
