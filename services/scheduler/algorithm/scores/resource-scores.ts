/**
 * The resource scores of the default profile (kube-scheduler noderesources), over cpu and
 * memory with weight 1 each:
 * - NodeResourcesFit, LeastAllocated: `(allocatable - requested) * 100 / allocatable` per
 *   resource, averaged by weight, where requested counts the node's pods and this one with the
 *   non-zero defaults (100m cpu, 200Mi memory for containers that request nothing);
 * - NodeResourcesBalancedAllocation: `(1 - std) * 100` of the fractions requested/allocatable
 *   (exact requests, capped at 1), so nodes whose cpu and memory fill evenly win. Skipped for
 *   pods that request nothing (kubernetes#129138).
 */
import { MAX_NODE_SCORE, type PodScorer, type ScorePlugin } from '../framework';
import type { NodeInfo } from '../node-info';
import { NODE_RESOURCES_FIT } from '../filters/node-resources-fit';
import type { Resources } from '../resources';

export const NODE_RESOURCES_BALANCED_ALLOCATION = 'NodeResourcesBalancedAllocation';

/** Weights of the default profile. */
export const LEAST_ALLOCATED_WEIGHT = 1;
export const BALANCED_ALLOCATION_WEIGHT = 1;

/** kube-scheduler's leastRequestedScore for one resource. */
export function leastRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0 || requested > capacity) return 0;
  return Math.trunc(((capacity - requested) * MAX_NODE_SCORE) / capacity);
}

/** LeastAllocated score of a node for a pod requesting `pod` (non-zero requests). */
export function leastAllocatedScore(node: NodeInfo, pod: Resources): number {
  let sum = 0;
  let weights = 0;
  const alloc = node.allocatable;
  const used = node.nonZeroRequested;
  if (alloc.milliCPU > 0) {
    sum += leastRequestedScore(used.milliCPU + pod.milliCPU, alloc.milliCPU);
    weights++;
  }
  if (alloc.memory > 0) {
    sum += leastRequestedScore(used.memory + pod.memory, alloc.memory);
    weights++;
  }
  return weights === 0 ? 0 : Math.trunc(sum / weights);
}

/** BalancedAllocation score of a node for a pod requesting `pod` (exact requests). */
export function balancedAllocationScore(node: NodeInfo, pod: Resources): number {
  const alloc = node.allocatable;
  const used = node.requested;
  // With one resource (or none) the standard deviation is 0; with two it is half their distance.
  if (alloc.milliCPU <= 0 || alloc.memory <= 0) return MAX_NODE_SCORE;
  const cpu = Math.min(1, (used.milliCPU + pod.milliCPU) / alloc.milliCPU);
  const memory = Math.min(1, (used.memory + pod.memory) / alloc.memory);
  return Math.trunc((1 - Math.abs((cpu - memory) / 2)) * MAX_NODE_SCORE);
}

/** NodeResourcesFit's score plugin (LeastAllocated). */
export const leastAllocated: ScorePlugin = {
  name: NODE_RESOURCES_FIT,
  weight: LEAST_ALLOCATED_WEIGHT,
  preScore(pod): PodScorer {
    const request = pod.nonZeroRequests;
    return { score: (node) => leastAllocatedScore(node, request) };
  },
};

/** The NodeResourcesBalancedAllocation score plugin. */
export const balancedAllocation: ScorePlugin = {
  name: NODE_RESOURCES_BALANCED_ALLOCATION,
  weight: BALANCED_ALLOCATION_WEIGHT,
  preScore(pod): PodScorer | undefined {
    const request = pod.requests;
    if (request.milliCPU === 0 && request.memory === 0) return undefined;
    return { score: (node) => balancedAllocationScore(node, request) };
  },
};
