import { NotFoundError } from '../../../lib/api/errors';
import type { KubeObject, ResourceInfo } from '../../../lib/api/object';
import type { Namespace } from '../kinds/core';
import { admissionForbidden, isResource, type AdmissionPlugin } from './admission';

export type { Admission } from './admission';

/** Namespaces that exist from the start and may never be deleted. */
export const SYSTEM_NAMESPACES: readonly string[] = ['default', 'kube-system', 'kube-public'];

/** How the lifecycle check finds a namespace: the cache first, the store when the cache has not seen it. */
export interface NamespaceLookup {
  cached(name: string): Namespace | undefined;
  /** The stored namespace, or undefined when there is none. */
  read(name: string): Promise<Namespace | undefined>;
}

/**
 * Kubernetes' NamespaceLifecycle admission: a namespaced object can only be created in a
 * namespace that exists and is not being terminated, and the system namespaces can't be
 * deleted. The cache answers the common case; a namespace missing from it (just created through
 * another apiserver) is read from the store before the create is refused.
 */
export class NamespaceLifecycle implements AdmissionPlugin {
  constructor(private readonly namespaces: NamespaceLookup) {}

  async admitCreate(info: ResourceInfo, namespace: string | undefined, obj: KubeObject): Promise<void> {
    if (!info.namespaced || !namespace) return;
    const ns = this.namespaces.cached(namespace) ?? (await this.namespaces.read(namespace));
    if (!ns) throw new NotFoundError('namespaces', '', namespace);
    if (ns.status?.phase === 'Terminating' || ns.metadata.deletionTimestamp) {
      throw admissionForbidden(info, obj, `unable to create new content in namespace ${namespace} because it is being terminated`, [
        { reason: 'NamespaceTerminating', message: `namespace ${namespace} is being terminated`, field: 'metadata.namespace' },
      ]);
    }
  }

  async admitDelete(info: ResourceInfo, _namespace: string | undefined, obj: KubeObject): Promise<void> {
    const name = obj.metadata.name ?? '';
    if (isResource(info, '', 'namespaces') && SYSTEM_NAMESPACES.includes(name)) throw admissionForbidden(info, name, 'this namespace may not be deleted');
  }
}
