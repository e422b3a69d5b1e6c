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

/**
 * Whether `node` falls short of `request`. With `reasons`, every shortfall is added to it in
 * Kubernetes' order; without, the check stops at the first (the allocation-free hot path).
 */
function shortOf(request: Resources, node: NodeInfo, reasons?: string[]): boolean {
  const alloc = node.allocatable;
  const used = node.requested;
  let short = false;
  const found = (reason: string): boolean => {
    short = true;
    reasons?.push(reason);
    return reasons === undefined;
  };
  if (node.pods.length + 1 > node.allowedPodNumber && found(REASON_TOO_MANY_PODS)) return true;
  if (request.milliCPU > 0 && request.milliCPU > alloc.milliCPU - used.milliCPU && found(REASON_INSUFFICIENT_CPU)) return true;
  if (request.memory > 0 && request.memory > alloc.memory - used.memory && found(REASON_INSUFFICIENT_MEMORY)) return true;
  if (request.ephemeralStorage > 0 && request.ephemeralStorage > alloc.ephemeralStorage - used.ephemeralStorage && found(REASON_INSUFFICIENT_EPHEMERAL_STORAGE)) return true;
  if (request.scalar) {
    for (const [name, amount] of request.scalar) {
      if (amount > 0 && amount > (alloc.scalar?.get(name) ?? 0) - (used.scalar?.get(name) ?? 0) && found(`Insufficient ${name}`)) return true;
    }
  }
  return short;
}

/** Whether `request` fits on `node`. */
export function fitsResources(request: Resources, node: NodeInfo): boolean {
  return !shortOf(request, node);
}

/** The reasons `request` does not fit on `node` ([] when it fits). */
export function insufficientResources(request: Resources, node: NodeInfo): string[] {
  const reasons: string[] = [];
  shortOf(request, node, reasons);
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
      if (fitsResources(request, node)) return undefined;
      return rejection(NODE_RESOURCES_FIT, 'Unschedulable', ...insufficientResources(request, node));
    });
  },
};
