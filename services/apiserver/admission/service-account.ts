import type { KubeObject, ResourceInfo } from '../../../lib/api/object';
import type { Pod, ServiceAccount } from '../../../lib/api/types/core';
import { admissionForbidden, isResource, type AdmissionPlugin } from './admission';

/** The ServiceAccount every namespace has (made by the controller-manager's serviceaccount controller). */
export const DEFAULT_SERVICE_ACCOUNT = 'default';

/** How the plugin finds a ServiceAccount: the cache first, the store when the cache has not seen it. */
export type ServiceAccountLookup = (namespace: string, name: string) => Promise<ServiceAccount | undefined>;

/**
 * Kubernetes' ServiceAccount admission, for pod creates: a pod that names no ServiceAccount gets
 * `default` (spec.serviceAccountName and its deprecated mirror spec.serviceAccount), and a pod
 * naming one that does not exist is Forbidden (`error looking up service account ns/x:
 * serviceaccount "x" not found`).
 *
 * One leniency, on purpose: a missing `default` is let through. Kubernetes refuses it too, but
 * its controller makes `default` moments after the namespace, and a pod created in that moment
 * (or on an apiserver run without a controller-manager, as in tests) would fail for a reason
 * its author cannot act on. Token volumes come with the security issue's token signer.
 */
export class ServiceAccountAdmission implements AdmissionPlugin {
  constructor(private readonly lookup: ServiceAccountLookup) {}

  async admitCreate(info: ResourceInfo, namespace: string | undefined, obj: KubeObject): Promise<void> {
    if (!isResource(info, '', 'pods') || !namespace) return;
    const pod = obj as Pod;
    const spec = (pod.spec ??= {});
    const name = spec.serviceAccountName || spec.serviceAccount || DEFAULT_SERVICE_ACCOUNT;
    spec.serviceAccountName = name;
    spec.serviceAccount = name;
    if (name === DEFAULT_SERVICE_ACCOUNT) return;
    if (!(await this.lookup(namespace, name))) {
      throw admissionForbidden(info, pod, `error looking up service account ${namespace}/${name}: serviceaccount "${name}" not found`);
    }
  }
}
