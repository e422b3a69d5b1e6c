import { AlreadyExistsError } from '../../../lib/api/errors';
import type { KubeObject } from '../../../lib/api/object';
import type { ResourceRest } from '../rest/resource-rest';

/** The namespaces every cluster has from the start (Kubernetes' system namespaces plus kube-node-lease). */
export const BOOTSTRAP_NAMESPACES: readonly string[] = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/**
 * Creates each of `names` (default BOOTSTRAP_NAMESPACES) that does not exist, through the
 * namespaces resource `rest` (so the namespace strategy applies). Idempotent, and safe when
 * several apiservers run it at once: a create that finds the namespace already there
 * (AlreadyExists) counts as done. Returns the names this call created. Other errors (the store
 * unreachable) are thrown.
 */
export async function ensureSystemNamespaces(rest: ResourceRest, names: readonly string[] = BOOTSTRAP_NAMESPACES): Promise<string[]> {
  const created: string[] = [];
  for (const name of names) {
    try {
      await rest.create(undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } as KubeObject);
      created.push(name);
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) throw err;
    }
  }
  return created;
}
