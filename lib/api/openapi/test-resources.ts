/**
 * Test fixture: a resource list like the apiserver's, built from the kinds with a protobuf
 * mapping (every top-level kind except lists, meta types, Binding and Scale).
 */
import { protoKinds } from '../proto/kinds';
import type { OpenApiResource } from './paths';

const CLUSTER_SCOPED = new Set(['Namespace', 'Node', 'PersistentVolume', 'ClusterRole', 'ClusterRoleBinding', 'PriorityClass']);
// The access reviews are answered, never stored: no list, no OpenAPI collection.
const REVIEWS = ['SelfSubjectAccessReview', 'SubjectAccessReview', 'LocalSubjectAccessReview', 'SelfSubjectRulesReview', 'SelfSubjectReview'];
// Subresource bodies (pods/binding, scale, pods/eviction, serviceaccounts/token) are no resources of their own.
const NOT_SERVED = new Set(['Status', 'DeleteOptions', 'WatchEvent', 'APIVersions', 'APIGroupList', 'APIGroup', 'APIResourceList', 'Binding', 'Scale', 'Eviction', 'TokenRequest', ...REVIEWS]);

function plural(kind: string): string {
  const lower = kind.toLowerCase();
  if (lower.endsWith('s')) return lower;
  if (lower.endsWith('y')) return lower.slice(0, -1) + 'ies';
  return lower + 's';
}

/** Every served kind of the protobuf table as an OpenApiResource. */
export function servedResources(): OpenApiResource[] {
  return protoKinds()
    .filter((k) => !k.kind.endsWith('List') && !NOT_SERVED.has(k.kind))
    .map((k) => {
      const slash = k.apiVersion.lastIndexOf('/');
      return {
        group: slash < 0 ? '' : k.apiVersion.slice(0, slash),
        version: k.apiVersion.slice(slash + 1),
        kind: k.kind,
        resource: plural(k.kind),
        namespaced: !CLUSTER_SCOPED.has(k.kind),
      };
    });
}
