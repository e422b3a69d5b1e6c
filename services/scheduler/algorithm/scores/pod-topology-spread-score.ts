/**
 * PodTopologySpread's score (kube-scheduler podtopologyspread/scoring.go), weight 2, for the
 * pod's ScheduleAnyway constraints — or, for a pod with no constraints of its own, the system
 * default constraints (hostname maxSkew 3, zone maxSkew 5) over the selector of the Services,
 * ReplicaSets and StatefulSets that select it: default spreading.
 *
 * A node's raw score is `Σ matching pods in its domain × log(domains + 2) + (maxSkew - 1)` over
 * the constraints; fewer matching pods is better, so scores are reversed while normalized:
 * `100 × (max + min - score) / max`. With the pod's own constraints, nodes lacking a topology
 * key score 0; with the defaults they are still scored on the keys they have.
 */
import { MAX_NODE_SCORE, type PodScorer, type ScorePlugin } from '../framework';
import { POD_TOPOLOGY_SPREAD } from '../filters/pod-topology-spread';
import { LABEL_HOSTNAME, LABEL_ZONE } from '../api-types';
import type { NodeInfo } from '../node-info';
import type { SpreadConstraint } from '../pod-info';
import { countMatchingPods, hasAllTopologyKeys, nodeIncluded } from '../spread-domains';

export const POD_TOPOLOGY_SPREAD_WEIGHT = 2;

/** kube-scheduler's system default constraints (selector filled in per pod). */
export const DEFAULT_SPREAD_CONSTRAINTS: readonly Omit<SpreadConstraint, 'selector'>[] = [
  { topologyKey: LABEL_HOSTNAME, maxSkew: 3, whenUnsatisfiable: 'ScheduleAnyway', minDomains: 1, nodeAffinityPolicy: 'Honor', nodeTaintsPolicy: 'Ignore' },
  { topologyKey: LABEL_ZONE, maxSkew: 5, whenUnsatisfiable: 'ScheduleAnyway', minDomains: 1, nodeAffinityPolicy: 'Honor', nodeTaintsPolicy: 'Ignore' },
];

/** Raw score of `count` matching pods in a domain. */
function scoreForCount(count: number, maxSkew: number, weight: number): number {
  return count * weight + (maxSkew - 1);
}

/** The PodTopologySpread score plugin. */
export const podTopologySpreadScore: ScorePlugin = {
  name: POD_TOPOLOGY_SPREAD,
  weight: POD_TOPOLOGY_SPREAD_WEIGHT,
  preScore(pod, feasible, snapshot): PodScorer | undefined {
    if (snapshot.nodes.length === 0) return undefined;
    let constraints: SpreadConstraint[];
    const own = pod.spreadConstraints.length > 0;
    if (own) {
      constraints = pod.spreadConstraints.filter((c) => c.whenUnsatisfiable === 'ScheduleAnyway');
    } else {
      const selector = snapshot.defaultSpreadSelector(pod);
      constraints = selector ? DEFAULT_SPREAD_CONSTRAINTS.map((c) => ({ ...c, selector })) : [];
    }
    if (constraints.length === 0) return undefined;
    const requireAll = own;
    const ignored = new Set<string>();
    const counts = constraints.map(() => new Map<string, number>());
    for (const node of feasible) {
      if (requireAll && !hasAllTopologyKeys(node.labels, constraints)) {
        ignored.add(node.name);
        continue;
      }
      constraints.forEach((c, i) => {
        if (c.topologyKey !== LABEL_HOSTNAME) counts[i]!.set(node.labels[c.topologyKey] ?? '', 0);
      });
    }
    const weights = constraints.map((c, i) => Math.log((c.topologyKey === LABEL_HOSTNAME ? feasible.length - ignored.size : counts[i]!.size) + 2));
    for (const node of snapshot.nodes) {
      if (requireAll && !hasAllTopologyKeys(node.labels, constraints)) continue;
      constraints.forEach((c, i) => {
        if (!nodeIncluded(c, pod, node)) return;
        const value = node.labels[c.topologyKey] ?? '';
        const current = counts[i]!.get(value);
        if (current === undefined) return;
        counts[i]!.set(value, current + countMatchingPods(node, c.selector, pod.namespace));
      });
    }
    return {
      score(node: NodeInfo) {
        if (ignored.has(node.name)) return 0;
        let sum = 0;
        constraints.forEach((c, i) => {
          const value = node.labels[c.topologyKey];
          if (value === undefined) return;
          const count = c.topologyKey === LABEL_HOSTNAME ? countMatchingPods(node, c.selector, pod.namespace) : counts[i]!.get(value) ?? 0;
          sum += scoreForCount(count, c.maxSkew, weights[i]!);
        });
        return Math.round(sum);
      },
      normalize(scores, nodes) {
        let min = Infinity;
        let max = 0;
        nodes.forEach((n, i) => {
          if (ignored.has(n.name)) return;
          min = Math.min(min, scores[i]!);
          max = Math.max(max, scores[i]!);
        });
        nodes.forEach((n, i) => {
          if (ignored.has(n.name)) scores[i] = 0;
          else if (max === 0) scores[i] = MAX_NODE_SCORE;
          else scores[i] = Math.trunc((MAX_NODE_SCORE * (max + min - scores[i]!)) / max);
        });
      },
    };
  },
};
