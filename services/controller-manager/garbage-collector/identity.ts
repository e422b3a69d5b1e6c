/**
 * Who an object is, for the garbage collector: apiVersion, kind, namespace, name and uid — the
 * coordinates an ownerReference names (plus the namespace the reference is read in). Two
 * coordinates name the same object when group, kind, namespace, name and uid agree; the
 * version does not matter (one object is served under every version of its group).
 */
import type { KubeObject, OwnerReference, ResourceInfo } from '../../../lib/api/object';
import { apiVersionOf } from '../../../lib/api/object';
import { groupOfApiVersion } from '../../../lib/api/resources';

/** An object's coordinates; `namespace` is "" for cluster-scoped objects. */
export interface ObjectIdentity {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

/** The identity of `obj` as served by `info`; undefined when it has no name or uid (nothing to track). */
export function identityOf(obj: KubeObject, info: ResourceInfo): ObjectIdentity | undefined {
  const { name, uid } = obj.metadata ?? {};
  if (typeof name !== 'string' || name === '' || typeof uid !== 'string' || uid === '') return undefined;
  return { apiVersion: apiVersionOf(info), kind: info.kind, namespace: info.namespaced ? (obj.metadata.namespace ?? '') : '', name, uid };
}

/**
 * The identity `ref` names when read by a dependent in `dependentNamespace`: a namespaced owner
 * can only be in the dependent's own namespace; a cluster-scoped one has none.
 */
export function ownerIdentity(ref: OwnerReference, dependentNamespace: string, ownerNamespaced: boolean): ObjectIdentity {
  return { apiVersion: ref.apiVersion, kind: ref.kind, namespace: ownerNamespaced ? dependentNamespace : '', name: ref.name, uid: ref.uid };
}

/** Whether two identities name the same object (group, kind, namespace, name, uid; any version). */
export function sameIdentity(a: ObjectIdentity, b: ObjectIdentity): boolean {
  return (
    a.uid === b.uid &&
    a.name === b.name &&
    a.kind === b.kind &&
    a.namespace === b.namespace &&
    groupOfApiVersion(a.apiVersion) === groupOfApiVersion(b.apiVersion)
  );
}

/** A stable string for an identity (cache keys, logs): `group/Kind/namespace/name/uid`. */
export function identityKey(id: ObjectIdentity): string {
  return `${groupOfApiVersion(id.apiVersion)}/${id.kind}/${id.namespace}/${id.name}/${id.uid}`;
}

/** How logs and Events print an identity (Kubernetes' objectReference String form). */
export function describeIdentity(id: ObjectIdentity): string {
  return `[${id.apiVersion}/${id.kind}, namespace: ${id.namespace}, name: ${id.name}, uid: ${id.uid}]`;
}

/** Whether `ref` is well formed enough to follow: apiVersion, kind, name and uid all non-empty strings. */
export function isUsableOwnerReference(ref: unknown): ref is OwnerReference {
  if (typeof ref !== 'object' || ref === null) return false;
  const r = ref as Record<string, unknown>;
  return ['apiVersion', 'kind', 'name', 'uid'].every((f) => typeof r[f] === 'string' && r[f] !== '');
}

/** The usable ownerReferences of `obj` (malformed entries are skipped, never followed). */
export function ownerReferencesOf(obj: KubeObject): OwnerReference[] {
  const refs = obj.metadata?.ownerReferences;
  return Array.isArray(refs) ? refs.filter(isUsableOwnerReference) : [];
}
