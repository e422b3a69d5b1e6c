/**
 * Which stored resource each quota resource name is counted from: `pods`, `requests.cpu`,
 * `count/pods` from pods; `services.nodeports` from services; `requests.storage` and the
 * per-storage-class names from claims; `count/<resource>.<group>` from that resource.
 */
import type { ResourceInfo } from '../../../lib/api/object';
import { RESOURCES } from '../../../lib/api/resources';
import type { GroupResource } from '../../../lib/quota/usage';

/** The resources the quota controller keeps informers on (their deletes release usage at once). */
export const WATCHED_RESOURCES: readonly ResourceInfo[] = [
  RESOURCES.pods,
  RESOURCES.services,
  RESOURCES.persistentvolumeclaims,
  RESOURCES.configmaps,
  RESOURCES.secrets,
  RESOURCES.replicationcontrollers,
  RESOURCES.resourcequotas,
];

const POD_NAME = /^(pods|cpu|memory|ephemeral-storage|hugepages-.*|(requests|limits)\..*)$/;
const STORAGE_CLASS_NAME = /\.storageclass\.storage\.k8s\.io\//;

/** The served resource a `count/<resource>[.<group>]` name counts, if Bosun serves it. */
function countedResource(rest: string): ResourceInfo | undefined {
  const dot = rest.indexOf('.');
  const resource = dot < 0 ? rest : rest.slice(0, dot);
  const group = dot < 0 ? '' : rest.slice(dot + 1);
  return Object.values(RESOURCES).find((r) => r.resource === resource && r.group === group && r.namespaced);
}

/** The resource whose objects make up the usage of quota resource `name`, or undefined for names nothing counts. */
export function sourceOf(name: string): GroupResource | undefined {
  if (name.startsWith('count/')) return countedResource(name.slice('count/'.length));
  if (name === 'requests.storage' || name === 'persistentvolumeclaims' || STORAGE_CLASS_NAME.test(name)) return RESOURCES.persistentvolumeclaims;
  if (name === 'services' || name.startsWith('services.')) return RESOURCES.services;
  if (POD_NAME.test(name)) return RESOURCES.pods;
  const plain = Object.values(RESOURCES).find((r) => r.group === '' && r.resource === name && r.namespaced);
  return plain;
}
