import type { ResourceInfo } from '../../../lib/api/object';

/**
 * Where objects live in the store, as Kubernetes lays out etcd:
 * `/registry/<resource>/<namespace>/<name>` for namespaced kinds and
 * `/registry/<resource>/<name>` for cluster-scoped ones. `<resource>` is the plural resource
 * name without its group (deployments, namespaces), as Kubernetes does.
 */

/** Root of every key the apiserver writes. */
export const REGISTRY_ROOT = '/registry';

/** What a key needs from a kind's identity. */
export type KeyInfo = Pick<ResourceInfo, 'resource' | 'namespaced'>;

/** The storage key of one object. Throws on a missing namespace for a namespaced kind (a bug in the caller). */
export function objectKey(info: KeyInfo, namespace: string | undefined, name: string): string {
  if (info.namespaced) {
    if (!namespace) throw new Error(`objectKey: namespaced resource ${info.resource} needs a namespace (name ${name})`);
    return `${REGISTRY_ROOT}/${info.resource}/${namespace}/${name}`;
  }
  return `${REGISTRY_ROOT}/${info.resource}/${name}`;
}

/** Prefix of every object of the resource, in all namespaces (ends with "/"). */
export function resourcePrefix(info: KeyInfo): string {
  return `${REGISTRY_ROOT}/${info.resource}/`;
}

/**
 * Prefix of the objects a list reads: one namespace's objects when `namespace` is given for a
 * namespaced kind, otherwise every object of the resource (ends with "/").
 */
export function listPrefix(info: KeyInfo, namespace?: string): string {
  return info.namespaced && namespace ? `${REGISTRY_ROOT}/${info.resource}/${namespace}/` : resourcePrefix(info);
}

/** The namespace and name a key encodes, or undefined when it is not a key of this resource. */
export function parseObjectKey(info: KeyInfo, key: string): { namespace?: string; name: string } | undefined {
  const prefix = resourcePrefix(info);
  if (!key.startsWith(prefix)) return undefined;
  const parts = key.slice(prefix.length).split('/');
  if (info.namespaced) return parts.length === 2 && parts[0] && parts[1] ? { namespace: parts[0], name: parts[1] } : undefined;
  return parts.length === 1 && parts[0] ? { name: parts[0] } : undefined;
}
