/**
 * InterPodAffinity's filter (kube-scheduler interpodaffinity/filtering.go), for any
 * topologyKey. PreFilter counts, per topology pair (key, value):
 * - existing pods whose required anti-affinity terms select the incoming pod;
 * - existing pods matching all of the incoming pod's required affinity terms;
 * - existing pods matching each of the incoming pod's required anti-affinity terms.
 * Filter then rejects a node whose domain breaks one of the three rules, in Kubernetes' order
 * and words. A pod with affinity to itself may start a group: when no pod anywhere matches its
 * terms and it matches them itself, any node with the topology labels will do.
 */
import type { Labels } from '../api-types';
import { rejection, type ClusterSnapshot, type FilterPlugin, type PodFilter, type Rejection } from '../framework';
import type { NodeInfo } from '../node-info';
import { termMatches, type AffinityTerm, type PodInfo } from '../pod-info';
import { TopologyCounts } from '../topology-counts';

export const INTER_POD_AFFINITY = 'InterPodAffinity';

export const REASON_AFFINITY_RULES = "node(s) didn't match pod affinity rules";
export const REASON_ANTI_AFFINITY_RULES = "node(s) didn't match pod anti-affinity rules";
export const REASON_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules";

const AFFINITY_MISMATCH: Rejection = rejection(INTER_POD_AFFINITY, 'UnschedulableAndUnresolvable', REASON_AFFINITY_RULES);
const ANTI_AFFINITY_MISMATCH: Rejection = rejection(INTER_POD_AFFINITY, 'Unschedulable', REASON_ANTI_AFFINITY_RULES);
const EXISTING_ANTI_AFFINITY: Rejection = rejection(INTER_POD_AFFINITY, 'Unschedulable', REASON_EXISTING_ANTI_AFFINITY);

/** Whether `pod` matches every term (false for no terms). */
function matchesAll(terms: readonly AffinityTerm[], pod: PodInfo, nsLabels: Labels | undefined): boolean {
  if (terms.length === 0) return false;
  for (const t of terms) if (!termMatches(t, pod, nsLabels)) return false;
  return true;
}

class InterPodAffinityFilter implements PodFilter {
  readonly plugin = INTER_POD_AFFINITY;

  constructor(
    private readonly pod: PodInfo,
    private readonly snapshot: ClusterSnapshot,
    private readonly existingAnti: TopologyCounts,
    private readonly affinity: TopologyCounts,
    private readonly anti: TopologyCounts,
  ) {}

  /** Counts `other` (on `node`) into the three maps with weight `delta`. */
  update(other: PodInfo, node: NodeInfo, delta: number): void {
    const pod = this.pod;
    const podNs = this.snapshot.namespaceLabels(pod.namespace);
    for (const t of other.requiredAntiAffinityTerms) {
      if (termMatches(t, pod, podNs)) this.existingAnti.addAt(t.topologyKey, node.labels, delta);
    }
    if (pod.requiredAffinityTerms.length === 0 && pod.requiredAntiAffinityTerms.length === 0) return;
    const otherNs = this.snapshot.namespaceLabels(other.namespace);
    if (matchesAll(pod.requiredAffinityTerms, other, otherNs)) {
      for (const t of pod.requiredAffinityTerms) this.affinity.addAt(t.topologyKey, node.labels, delta);
    }
    for (const t of pod.requiredAntiAffinityTerms) {
      if (termMatches(t, other, otherNs)) this.anti.addAt(t.topologyKey, node.labels, delta);
    }
  }

  filter(node: NodeInfo): Rejection | undefined {
    const pod = this.pod;
    if (pod.requiredAffinityTerms.length > 0) {
      let podsExist = true;
      for (const t of pod.requiredAffinityTerms) {
        const value = node.labels[t.topologyKey];
        if (value === undefined) return AFFINITY_MISMATCH;
        if (this.affinity.get(t.topologyKey, value) <= 0) podsExist = false;
      }
      // The first pod of a group with affinity to itself.
      if (!podsExist && !(this.affinity.size === 0 && matchesAll(pod.requiredAffinityTerms, pod, this.snapshot.namespaceLabels(pod.namespace)))) {
        return AFFINITY_MISMATCH;
      }
    }
    if (this.anti.size > 0) {
      for (const t of pod.requiredAntiAffinityTerms) {
        const value = node.labels[t.topologyKey];
        if (value !== undefined && this.anti.get(t.topologyKey, value) > 0) return ANTI_AFFINITY_MISMATCH;
      }
    }
    if (this.existingAnti.size > 0) {
      for (const key in node.labels) if (this.existingAnti.get(key, node.labels[key]!) > 0) return EXISTING_ANTI_AFFINITY;
    }
    return undefined;
  }

  addPod(added: PodInfo, node: NodeInfo): void {
    this.update(added, node, 1);
  }

  removePod(removed: PodInfo, node: NodeInfo): void {
    this.update(removed, node, -1);
  }

  clone(): PodFilter {
    return new InterPodAffinityFilter(this.pod, this.snapshot, this.existingAnti.clone(), this.affinity.clone(), this.anti.clone());
  }
}

/** The InterPodAffinity filter plugin. */
export const interPodAffinity: FilterPlugin = {
  name: INTER_POD_AFFINITY,
  preFilter(pod, snapshot) {
    const hasOwnTerms = pod.requiredAffinityTerms.length > 0 || pod.requiredAntiAffinityTerms.length > 0;
    const withAffinity = snapshot.nodesWithAffinityPods();
    if (!hasOwnTerms && !withAffinity.some((n) => n.podsWithRequiredAntiAffinity.length > 0)) return undefined;
    const f = new InterPodAffinityFilter(pod, snapshot, new TopologyCounts(), new TopologyCounts(), new TopologyCounts());
    const nodes = hasOwnTerms ? snapshot.nodes : withAffinity;
    for (const node of nodes) {
      const others = hasOwnTerms ? node.pods : node.podsWithRequiredAntiAffinity;
      for (const other of others) f.update(other, node, 1);
    }
    return f;
  },
};
