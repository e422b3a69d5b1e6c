/**
 * Which kinds the garbage collector watches, and how it finds a kind from an ownerReference:
 * every served resource that supports delete, list and watch (Kubernetes' GetDeletableResources),
 * except the few Kubernetes ignores (Events: many, short-lived, and never owners).
 */
import type { ResourceInfo } from '../../../lib/api/object';
import { groupOfApiVersion } from '../../../lib/api/resources';
import type { ServedResource } from '../../../lib/client/api-client';

/** Resources the collector never watches (kube-controller-manager's DefaultIgnoredResources). */
export const IGNORED_RESOURCES: readonly { readonly group: string; readonly resource: string }[] = [
  { group: '', resource: 'events' },
  { group: 'events.k8s.io', resource: 'events' },
];

/** Verbs a resource must serve to be collected. */
const REQUIRED_VERBS = ['delete', 'list', 'watch'];

/** The served resources the collector watches, in discovery order. */
export function deletableResources(served: readonly ServedResource[]): ServedResource[] {
  return served.filter(
    (r) => REQUIRED_VERBS.every((v) => r.verbs.includes(v)) && !IGNORED_RESOURCES.some((i) => i.group === r.group && i.resource === r.resource),
  );
}

/** Finds the served resource of an ownerReference's apiVersion and kind (by group and kind: any version). */
export class ResourceResolver {
  private readonly byGroupKind = new Map<string, ResourceInfo>();

  constructor(served: readonly ResourceInfo[]) {
    for (const r of served) {
      const key = `${r.group}/${r.kind}`;
      if (!this.byGroupKind.has(key)) this.byGroupKind.set(key, r);
    }
  }

  /** The resource of `apiVersion`/`kind`, if served. */
  resolve(apiVersion: string, kind: string): ResourceInfo | undefined {
    return this.byGroupKind.get(`${groupOfApiVersion(apiVersion)}/${kind}`);
  }

  /** Whether the kind is namespaced; undefined when not served. */
  namespaced(apiVersion: string, kind: string): boolean | undefined {
    return this.resolve(apiVersion, kind)?.namespaced;
  }
}

/** The error of a reference to a kind the server does not serve (retried: it may be served later). */
export class UnknownKindError extends Error {
  override readonly name = 'UnknownKindError';
  constructor(apiVersion: string, kind: string) {
    super(`garbage collector: no served resource for apiVersion "${apiVersion}", kind "${kind}"`);
  }
}
