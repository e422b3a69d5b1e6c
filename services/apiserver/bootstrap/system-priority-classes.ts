import type { KubeObject } from '../../../lib/api/object';
import { SYSTEM_PRIORITY_CLASSES, type PriorityClass } from '../kinds/scheduling';
import type { ResourceRest } from '../rest/resource-rest';
import { ensureObjects } from './ensure-objects';

/** What each system PriorityClass is for (Kubernetes' descriptions). */
const DESCRIPTIONS: Readonly<Record<string, string>> = {
  'system-cluster-critical': 'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.',
  'system-node-critical': 'Used for system critical pods that must not be moved from their current node.',
};

/** The system PriorityClasses as Kubernetes' apiserver creates them at start. */
export function systemPriorityClasses(): PriorityClass[] {
  return Object.entries(SYSTEM_PRIORITY_CLASSES).map(([name, value]) => ({
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: { name },
    value,
    description: DESCRIPTIONS[name],
  }));
}

/**
 * Creates the system PriorityClasses (system-cluster-critical, system-node-critical) that do
 * not exist, through the priorityclasses resource `rest`; see ensureObjects. They can't be
 * deleted afterwards (Priority admission). Returns the names this call created.
 */
export async function ensureSystemPriorityClasses(rest: ResourceRest): Promise<string[]> {
  return ensureObjects(rest, systemPriorityClasses() as KubeObject[]);
}
