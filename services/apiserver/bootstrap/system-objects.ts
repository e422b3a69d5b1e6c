import type { ResourceSet } from '../rest/resource-set';
import { ensureSystemNamespaces } from './system-namespaces';
import { ensureSystemPriorityClasses } from './system-priority-classes';

/** What ensureSystemObjects created. */
export interface CreatedSystemObjects {
  readonly namespaces: readonly string[];
  readonly priorityClasses: readonly string[];
}

/**
 * The objects every cluster has from its first start: the system namespaces and the system
 * PriorityClasses, each created when missing (idempotent; safe with several apiservers).
 */
export async function ensureSystemObjects(resources: ResourceSet): Promise<CreatedSystemObjects> {
  const namespaces = await ensureSystemNamespaces(resources.byResource('', 'namespaces')!);
  const priorityClasses = await ensureSystemPriorityClasses(resources.byResource('scheduling.k8s.io', 'priorityclasses')!);
  return { namespaces, priorityClasses };
}
