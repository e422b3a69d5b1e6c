/**
 * The default profile: kube-scheduler's default plugins in their order (filters run in this
 * order and a node's reasons are those of the first filter that rejects it) and their weights.
 */
import type { FilterPlugin, ScorePlugin } from './framework';
import { interPodAffinity } from './filters/inter-pod-affinity';
import { nodeAffinity, nodeName, nodePorts, nodeUnschedulable, taintToleration } from './filters/node-filters';
import { nodeResourcesFit } from './filters/node-resources-fit';
import { podTopologySpread } from './filters/pod-topology-spread';
import { interPodAffinityScore } from './scores/inter-pod-affinity-score';
import { preferNoScheduleTaints, preferredNodeAffinity } from './scores/node-preference-scores';
import { podTopologySpreadScore } from './scores/pod-topology-spread-score';
import { balancedAllocation, leastAllocated } from './scores/resource-scores';

/** The filters, in kube-scheduler's default order. */
export const DEFAULT_FILTERS: readonly FilterPlugin[] = [
  nodeUnschedulable,
  nodeName,
  taintToleration,
  nodeAffinity,
  nodePorts,
  nodeResourcesFit,
  podTopologySpread,
  interPodAffinity,
];

/** The scores with the default weights (TaintToleration 3, NodeAffinity 2, NodeResourcesFit 1, PodTopologySpread 2, InterPodAffinity 2, BalancedAllocation 1). */
export const DEFAULT_SCORES: readonly ScorePlugin[] = [
  preferNoScheduleTaints,
  preferredNodeAffinity,
  leastAllocated,
  podTopologySpreadScore,
  interPodAffinityScore,
  balancedAllocation,
];

/** A set of plugins the algorithm runs. */
export interface Profile {
  readonly filters: readonly FilterPlugin[];
  readonly scores: readonly ScorePlugin[];
}

/** kube-scheduler's default profile. */
export const DEFAULT_PROFILE: Profile = { filters: DEFAULT_FILTERS, scores: DEFAULT_SCORES };
