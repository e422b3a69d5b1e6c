/**
 * Bosun has no custom resources, and says so the way a Kubernetes cluster without any CRD does:
 * a GET of `/apis/apiextensions.k8s.io/v1/customresourcedefinitions` answers an empty list.
 *
 * kubectl needs that answer. Deciding whether the server validates fields (cli-runtime's
 * query-param verifier), it looks a kind up in the OpenAPI documents; for a kind found in neither
 * (a typo such as `kind: Deploymnt`, or a custom kind), it lists the CRDs to see whether the kind
 * is custom, and a failed list ends the command with `failed to check CRD: …` instead of
 * kubectl's own `no matches for kind "Deploymnt" in version "apps/v1"`. Nothing else of
 * apiextensions.k8s.io is served, and discovery does not list it: there is nothing to create.
 */
import type { ResourcePath } from './request-path';

const GROUP = 'apiextensions.k8s.io';
const VERSION = 'v1';
const RESOURCE = 'customresourcedefinitions';

/** Whether `path` is the cluster-wide collection of CustomResourceDefinitions. */
export function isCustomResourceDefinitionList(path: ResourcePath): boolean {
  return (
    path.group === GROUP && path.version === VERSION && path.resource === RESOURCE &&
    path.namespace === undefined && path.name === undefined && !path.watch
  );
}

/** The (empty) CustomResourceDefinitionList. */
export function noCustomResourceDefinitions(): Record<string, unknown> {
  return { kind: 'CustomResourceDefinitionList', apiVersion: `${GROUP}/${VERSION}`, metadata: { resourceVersion: '' }, items: [] };
}
