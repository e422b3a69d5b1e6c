import type { KubeObject, ResourceInfo } from '../../../lib/api/object';
import type { Pod, ServiceAccount } from '../../../lib/api/types/core';
import { admissionForbidden, isResource, type AdmissionPlugin } from './admission';
import { addTokenVolume } from './service-account-token-volume';

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
 * its author cannot act on.
 *
 * With `tokenVolumes` (the apiserver has a ServiceAccount signing key), the pod also gets
 * Kubernetes' kube-api-access projected volume and its mounts (service-account-token-volume.ts),
 * unless automountServiceAccountToken is false on the pod or, when the pod does not say, on
 * its ServiceAccount. Without a signer no token could be issued for it, so none is added.
 */
export class ServiceAccountAdmission implements AdmissionPlugin {
  constructor(
    private readonly lookup: ServiceAccountLookup,
    private readonly tokenVolumes = false,
  ) {}

  async admitCreate(info: ResourceInfo, namespace: string | undefined, obj: KubeObject): Promise<void> {
    if (!isResource(info, '', 'pods') || !namespace) return;
    const pod = obj as Pod;
    const spec = (pod.spec ??= {});
    const name = spec.serviceAccountName || spec.serviceAccount || DEFAULT_SERVICE_ACCOUNT;
    spec.serviceAccountName = name;
    spec.serviceAccount = name;
    const account = name === DEFAULT_SERVICE_ACCOUNT && !this.tokenVolumes ? undefined : await this.lookup(namespace, name);
    if (!account && name !== DEFAULT_SERVICE_ACCOUNT) {
      throw admissionForbidden(info, pod, `error looking up service account ${namespace}/${name}: serviceaccount "${name}" not found`);
    }
    if (!this.tokenVolumes) return;
    const automount = typeof spec.automountServiceAccountToken === 'boolean' ? spec.automountServiceAccountToken : account?.automountServiceAccountToken;
    if (automount !== false) addTokenVolume(pod);
  }
}
