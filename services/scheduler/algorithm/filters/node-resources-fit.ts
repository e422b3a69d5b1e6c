/**
 * NodeResourcesFit's filter (kube-scheduler noderesources.Fit): the pod's requests must fit in
 * the node's allocatable resources minus what its pods already request, and the node must take
 * one more pod. Every shortfall is a reason of its own, in Kubernetes' order and words:
 * "Too many pods", "Insufficient cpu", "Insufficient memory", "Insufficient ephemeral-storage",
 * "Insufficient <resource>".
 */
import { rejection, statelessFilter, type FilterPlugin } from '../framework';
import type { NodeInfo } from '../node-info';
import { isZero, type Resources } from '../resources';

export const NODE_RESOURCES_FIT = 'NodeResourcesFit';

export const REASON_TOO_MANY_PODS = 'Too many pods';
export const REASON_INSUFFICIENT_CPU = 'Insufficient cpu';
export const REASON_INSUFFICIENT_MEMORY = 'Insufficient memory';
export const REASON_INSUFFICIENT_EPHEMERAL_STORAGE = 'Insufficient ephemeral-storage';

/** The reasons `request` does not fit on `node` ([] when it fits). */
export function insufficientResources(request: Resources, node: NodeInfo): string[] {
  const reasons: string[] = [];
  if (node.pods.length + 1 > node.allowedPodNumber) reasons.push(REASON_TOO_MANY_PODS);
  const alloc = node.allocatable;
  const used = node.requested;
  if (request.milliCPU > 0 && request.milliCPU > alloc.milliCPU - used.milliCPU) reasons.push(REASON_INSUFFICIENT_CPU);
  if (request.memory > 0 && request.memory > alloc.memory - used.memory) reasons.push(REASON_INSUFFICIENT_MEMORY);
  if (request.ephemeralStorage > 0 && request.ephemeralStorage > alloc.ephemeralStorage - used.ephemeralStorage) reasons.push(REASON_INSUFFICIENT_EPHEMERAL_STORAGE);
  if (request.scalar) {
    for (const [name, amount] of request.scalar) {
      if (amount > 0 && amount > (alloc.scalar?.get(name) ?? 0) - (used.scalar?.get(name) ?? 0)) reasons.push(`Insufficient ${name}`);
    }
  }
  return reasons;
}

/** The NodeResourcesFit filter plugin. */
export const nodeResourcesFit: FilterPlugin = {
  name: NODE_RESOURCES_FIT,
  preFilter(pod) {
    const request = pod.requests;
    const zero = isZero(request);
    return statelessFilter(NODE_RESOURCES_FIT, (node) => {
      if (zero) return node.pods.length + 1 > node.allowedPodNumber ? rejection(NODE_RESOURCES_FIT, 'Unschedulable', REASON_TOO_MANY_PODS) : undefined;
      const reasons = insufficientResources(request, node);
      return reasons.length === 0 ? undefined : rejection(NODE_RESOURCES_FIT, 'Unschedulable', ...reasons);
    });
  },
};
