import type { KubeObject } from '../../../lib/api/object';
import type { ResourceRest } from '../rest/resource-rest';
import { ensureObjects } from './ensure-objects';

/** The namespaces every cluster has from the start (Kubernetes' system namespaces plus kube-node-lease). */
export const BOOTSTRAP_NAMESPACES: readonly string[] = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/**
 * Creates each of `names` (default BOOTSTRAP_NAMESPACES) that does not exist, through the
 * namespaces resource `rest` (so the namespace strategy applies); see ensureObjects. Returns
 * the names this call created.
 */
export async function ensureSystemNamespaces(rest: ResourceRest, names: readonly string[] = BOOTSTRAP_NAMESPACES): Promise<string[]> {
  return ensureObjects(
    rest,
    names.map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }) as KubeObject),
  );
}
