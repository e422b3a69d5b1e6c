import type { ResourceSet } from '../rest/resource-set';
import { ensureSystemNamespaces } from './system-namespaces';
import { ensureSystemPriorityClasses } from './system-priority-classes';
import { ensureDefaultStorageClass } from './default-storage-class';

/** What ensureSystemObjects created. */
export interface CreatedSystemObjects {
  readonly namespaces: readonly string[];
  readonly priorityClasses: readonly string[];
  readonly storageClasses: readonly string[];
}

/**
 * The objects every cluster has from its first start: the system namespaces and the system
 * PriorityClasses and the default StorageClass `local-path`, each created when missing (idempotent; safe with several apiservers).
 */
export async function ensureSystemObjects(resources: ResourceSet): Promise<CreatedSystemObjects> {
  const namespaces = await ensureSystemNamespaces(resources.byResource('', 'namespaces')!);
  const priorityClasses = await ensureSystemPriorityClasses(resources.byResource('scheduling.k8s.io', 'priorityclasses')!);
  const storageClasses = await ensureDefaultStorageClass(resources.byResource('storage.k8s.io', 'storageclasses')!);
  return { namespaces, priorityClasses, storageClasses };
}
