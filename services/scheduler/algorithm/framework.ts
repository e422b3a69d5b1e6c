/**
 * The scheduling framework's extension points, reduced to what the default profile needs
 * (kube-scheduler's PreFilter/Filter/PreScore/Score/NormalizeScore):
 *
 * - A {@link FilterPlugin}'s `preFilter` looks at the pod and the cluster once per scheduling
 *   cycle and returns a {@link PodFilter} (or undefined: nothing to check for this pod). The
 *   PodFilter's `filter` is then asked about each node and returns undefined (fits) or a
 *   {@link Rejection} with Kubernetes' reason strings. `addPod`/`removePod` keep cycle state
 *   right when preemption simulates evictions or nominated pods are counted; `clone` gives each
 *   simulated node its own state.
 * - A {@link ScorePlugin}'s `preScore` sees the feasible nodes and returns a {@link PodScorer}
 *   (or undefined: skip); scores are normalized to 0..{@link MAX_NODE_SCORE} and weighted.
 *
 * Everything here is synchronous and pure: the cluster comes in as a {@link ClusterSnapshot}.
 */
import type { Selector } from '../../../lib/api/label-selector';
import type { Labels } from './api-types';
import type { NodeInfo } from './node-info';
import type { PodInfo } from './pod-info';

/** Highest score a plugin gives a node after normalization. */
export const MAX_NODE_SCORE = 100;

/**
 * Why a node does not fit. `UnschedulableAndUnresolvable` means removing pods cannot help, so
 * preemption skips the node.
 */
export type RejectCode = 'Unschedulable' | 'UnschedulableAndUnresolvable';

/** A filter's verdict against a node, with Kubernetes' reason strings. */
export interface Rejection {
  readonly code: RejectCode;
  readonly reasons: readonly string[];
  /** The plugin that rejected (status output, queueing). */
  readonly plugin: string;
}

/** A rejection value (constant ones are shared between nodes). */
export function rejection(plugin: string, code: RejectCode, ...reasons: string[]): Rejection {
  return { plugin, code, reasons };
}

/** The cluster as the algorithm sees it during one scheduling cycle. */
export interface ClusterSnapshot {
  /** Every schedulable-or-not node, in a stable order. */
  readonly nodes: readonly NodeInfo[];
  /** The node named `name`. */
  node(name: string): NodeInfo | undefined;
  /** The nodes that host at least one pod with inter-pod affinity or anti-affinity terms. */
  nodesWithAffinityPods(): readonly NodeInfo[];
  /** Labels of namespace `ns` (undefined when unknown). */
  namespaceLabels(ns: string): Labels | undefined;
  /** Pending pods nominated (by preemption) to node `nodeName`. */
  nominatedPods(nodeName: string): readonly PodInfo[];
  /**
   * The selector of default spreading for `pod`: the union of the selectors of the Services,
   * ReplicaSets and StatefulSets that select it; undefined when none does.
   */
  defaultSpreadSelector(pod: PodInfo): Selector | undefined;
}

/** One plugin's filter for one pod during one cycle. See the file comment. */
export interface PodFilter {
  readonly plugin: string;
  filter(node: NodeInfo): Rejection | undefined;
  /** `added` now counts on `node` (a nominated pod, or a victim spared). */
  addPod?(added: PodInfo, node: NodeInfo): void;
  /** `removed` no longer counts on `node` (a simulated victim). */
  removePod?(removed: PodInfo, node: NodeInfo): void;
  /** Independent state for a simulation (stateless filters return themselves). */
  clone(): PodFilter;
}

/** A filter plugin. */
export interface FilterPlugin {
  readonly name: string;
  preFilter(pod: PodInfo, snapshot: ClusterSnapshot): PodFilter | undefined;
}

/** One plugin's scoring of one pod over the feasible nodes. */
export interface PodScorer {
  /** Raw score of a feasible node. */
  score(node: NodeInfo): number;
  /** Brings `scores` (parallel to `nodes`) into 0..MAX_NODE_SCORE in place; absent when raw scores already are. */
  normalize?(scores: number[], nodes: readonly NodeInfo[]): void;
}

/** A score plugin with its weight in the profile. */
export interface ScorePlugin {
  readonly name: string;
  readonly weight: number;
  preScore(pod: PodInfo, feasible: readonly NodeInfo[], snapshot: ClusterSnapshot): PodScorer | undefined;
}

/** A PodFilter without cycle state: `clone` returns it, add/remove change nothing. */
export function statelessFilter(plugin: string, filter: (node: NodeInfo) => Rejection | undefined): PodFilter {
  const f: PodFilter = { plugin, filter, clone: () => f };
  return f;
}

/**
 * kube-scheduler's DefaultNormalizeScore: scales so the highest becomes MAX_NODE_SCORE;
 * `reverse` turns high into low (all MAX_NODE_SCORE when every raw score is 0).
 */
export function defaultNormalize(scores: number[], reverse: boolean): void {
  let max = 0;
  for (const s of scores) if (s > max) max = s;
  if (max === 0) {
    if (reverse) scores.fill(MAX_NODE_SCORE);
    return;
  }
  for (let i = 0; i < scores.length; i++) {
    const s = Math.trunc((MAX_NODE_SCORE * scores[i]!) / max);
    scores[i] = reverse ? MAX_NODE_SCORE - s : s;
  }
}
