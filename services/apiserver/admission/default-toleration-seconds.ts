import type { KubeObject, ResourceInfo } from '../../../lib/api/object';
import type { Pod, Toleration } from '../../../lib/api/types/core';
import { isResource, type AdmissionPlugin } from './admission';

/** The taints the node lifecycle controller puts on a node that stops reporting or is not ready. */
export const TAINT_NODE_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_NODE_UNREACHABLE = 'node.kubernetes.io/unreachable';
/** How long a pod stays on such a node before it is evicted, unless it says otherwise (Kubernetes' default). */
export const DEFAULT_TOLERATION_SECONDS = 300;

/**
 * Kubernetes' DefaultTolerationSeconds admission: on pod create, a pod that does not already
 * tolerate the not-ready / unreachable NoExecute taints gets a toleration of each for 300 s, so
 * its pods leave a dead node five minutes after the node lifecycle controller taints it.
 */
export class DefaultTolerationSeconds implements AdmissionPlugin {
  async admitCreate(info: ResourceInfo, _namespace: string | undefined, obj: KubeObject): Promise<void> {
    if (!isResource(info, '', 'pods')) return;
    const spec = ((obj as Pod).spec ??= {});
    const tolerations = spec.tolerations ?? [];
    for (const key of [TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE]) {
      if (tolerations.some((t) => toleratesNoExecute(t, key))) continue;
      tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: DEFAULT_TOLERATION_SECONDS });
    }
    spec.tolerations = tolerations;
  }
}

/** Whether `t` already covers the NoExecute taint `key` (an empty key or effect matches all, as in Kubernetes' plugin). */
function toleratesNoExecute(t: Toleration, key: string): boolean {
  return (t.key === key || !t.key) && (t.effect === 'NoExecute' || !t.effect);
}
