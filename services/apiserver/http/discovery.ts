/**
 * Legacy (unaggregated) discovery documents of the HTTP API, built from the served resources:
 * /api (APIVersions), /apis (APIGroupList), /apis/{group} (APIGroup) and /api/v1,
 * /apis/{group}/{version} (APIResourceList), plus /version. kubectl 1.32 needs nothing more
 * (kubectl-wire-contract.md §3.2): it falls back from aggregated discovery to these when the
 * answer is plain application/json.
 */
import { apiVersionOf, type ResourceInfo } from '../../../lib/api/object';
import type { ResourceRest } from '../rest/resource-rest';

/** Verbs of every served resource (collection deletes included). */
export const RESOURCE_VERBS: readonly string[] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** The Kubernetes release this API speaks; kubectl's dispatcher picks its client from `minor`. */
export const KUBERNETES_MAJOR = '1';
export const KUBERNETES_MINOR = '32';
export const GIT_VERSION = 'v1.32.0-bosun';

/** version.Info of GET /version. */
export function versionInfo(): Record<string, string> {
  return {
    major: KUBERNETES_MAJOR,
    minor: KUBERNETES_MINOR,
    gitVersion: GIT_VERSION,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2025-01-01T00:00:00Z',
    goVersion: `node${process.versions.node}`,
    compiler: 'tsc',
    platform: `${process.platform === 'win32' ? 'windows' : process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
  };
}

/** One APIResource entry of an APIResourceList. */
interface ApiResource {
  name: string;
  singularName: string;
  namespaced: boolean;
  group?: string;
  version?: string;
  kind: string;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
}

/** GET /api. */
export function apiVersions(serverAddress: string): Record<string, unknown> {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

/** The named groups and their versions, in the order resources are served. */
function groupVersions(rests: readonly ResourceRest[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const r of rests) {
    const { group, version } = r.info;
    if (group === '') continue;
    const versions = groups.get(group) ?? [];
    if (!versions.includes(version)) versions.push(version);
    groups.set(group, versions);
  }
  return groups;
}

function apiGroup(name: string, versions: readonly string[]): Record<string, unknown> {
  const list = versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
  return { name, versions: list, preferredVersion: list[0] };
}

/** GET /apis. */
export function apiGroupList(rests: readonly ResourceRest[]): Record<string, unknown> {
  const groups = [...groupVersions(rests)].map(([name, versions]) => apiGroup(name, versions));
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

/** GET /apis/{group}, or undefined when no resource is served in the group. */
export function apiGroupOf(rests: readonly ResourceRest[], group: string): Record<string, unknown> | undefined {
  const versions = groupVersions(rests).get(group);
  return versions ? { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(group, versions) } : undefined;
}

/** GET /api/v1 or /apis/{group}/{version}, or undefined when nothing is served there. */
export function apiResourceList(rests: readonly ResourceRest[], group: string, version: string): Record<string, unknown> | undefined {
  const served = rests.filter((r) => r.info.group === group && r.info.version === version);
  if (served.length === 0) return undefined;
  const resources: ApiResource[] = [];
  for (const r of served) {
    const i = r.info;
    const main: ApiResource = { name: i.resource, singularName: i.singular, namespaced: i.namespaced, kind: i.kind, verbs: [...(r.verbs ?? RESOURCE_VERBS)] };
    if (i.shortNames.length > 0) main.shortNames = [...i.shortNames];
    if (i.categories.length > 0) main.categories = [...i.categories];
    resources.push(main);
    for (const sub of subresourcesOf(r)) resources.push(sub);
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf({ group, version }), resources };
}

/** The discovery entries of a resource's subresources (pods also list log, which answers an error for now). */
function subresourcesOf(r: ResourceRest): ApiResource[] {
  const i: ResourceInfo = r.info;
  const entry = (sub: string, kind: string, verbs: string[], extra: Partial<ApiResource> = {}): ApiResource => ({
    name: `${i.resource}/${sub}`,
    singularName: '',
    namespaced: i.namespaced,
    kind,
    verbs,
    ...extra,
  });
  const out: ApiResource[] = [];
  for (const sub of r.subresources) {
    switch (sub) {
      case 'status':
        out.push(entry('status', i.kind, ['get', 'patch', 'update']));
        break;
      case 'scale':
        out.push(entry('scale', 'Scale', ['get', 'patch', 'update'], { group: 'autoscaling', version: 'v1' }));
        break;
      case 'binding':
        out.push(entry('binding', 'Binding', ['create']));
        break;
      case 'finalize':
        out.push(entry('finalize', i.kind, ['update']));
        break;
      case 'eviction':
        out.push(entry('eviction', 'Eviction', ['create'], { group: 'policy', version: 'v1' }));
        break;
      case 'token':
        out.push(entry('token', 'TokenRequest', ['create'], { group: 'authentication.k8s.io', version: 'v1' }));
        break;
    }
  }
  if (i.group === '' && i.resource === 'pods') out.push(entry('log', 'Pod', ['get']));
  return out;
}
