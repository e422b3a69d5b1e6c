/**
 * What topology spreading (filter and score) shares: which nodes a constraint counts
 * (nodeAffinityPolicy / nodeTaintsPolicy, kube-scheduler's matchNodeInclusionPolicies), which
 * pods it counts (same namespace, selector match, not terminating), and whether a node carries
 * every topology key of a set of constraints.
 */
import type { Selector } from '../../../lib/api/label-selector';
import type { Labels } from './api-types';
import type { NodeInfo } from './node-info';
import type { PodInfo, SpreadConstraint } from './pod-info';
import { DO_NOT_SCHEDULE_EFFECTS, findUntoleratedTaint } from '../../../lib/api/tolerations';

/** Whether `node` counts for constraint `c` of `pod` under its node inclusion policies. */
export function nodeIncluded(c: SpreadConstraint, pod: PodInfo, node: NodeInfo): boolean {
  if (c.nodeAffinityPolicy === 'Honor') {
    const required = pod.nodeSelection.required;
    if (required && !required(node)) return false;
  }
  if (c.nodeTaintsPolicy === 'Honor' && findUntoleratedTaint(node.taints, pod.tolerations, DO_NOT_SCHEDULE_EFFECTS)) return false;
  return true;
}

/** Whether `labels` has every topology key of `constraints`. */
export function hasAllTopologyKeys(labels: Labels, constraints: readonly SpreadConstraint[]): boolean {
  for (const c of constraints) if (labels[c.topologyKey] === undefined) return false;
  return true;
}

/**
 * How many pods on `node` in `namespace`, not terminating, match `selector` (0 for an empty
 * selector). Reads the node's label index when the selector has an equality requirement, so
 * only pods carrying that label are tested.
 */
export function countMatchingPods(node: NodeInfo, selector: Selector, namespace: string): number {
  if (selector.empty()) return 0;
  const indexed = node.podsByLabel.candidates(namespace, selector);
  let n = 0;
  for (const p of indexed ?? node.pods) if (!p.terminating && p.namespace === namespace && selector.matches(p.labels)) n++;
  return n;
}
