/**
 * InterPodAffinity's score (kube-scheduler interpodaffinity/scoring.go), weight 2. For every
 * existing pod, on its node's topology domain:
 * - + weight of each of the incoming pod's preferred affinity terms it matches,
 *   - weight of each preferred anti-affinity term it matches;
 * - + HARD_POD_AFFINITY_WEIGHT for each of its required affinity terms the incoming pod matches,
 *   ± weight of its preferred (anti-)affinity terms the incoming pod matches (symmetry).
 * A node scores the sum over its domains; scores are then scaled min..max → 0..100. Without
 * preferred terms of its own, only existing pods with affinity terms are looked at.
 */
import { MAX_NODE_SCORE, type PodScorer, type ScorePlugin } from '../framework';
import { INTER_POD_AFFINITY } from '../filters/inter-pod-affinity';
import type { NodeInfo } from '../node-info';
import { termMatches, type AffinityTerm, type PodInfo } from '../pod-info';
import type { Labels } from '../api-types';

export const INTER_POD_AFFINITY_WEIGHT = 2;
/** Weight of an existing pod's required affinity term matching the incoming pod (kube default 1). */
export const HARD_POD_AFFINITY_WEIGHT = 1;

/** topology key → domain value → score. */
type TopologyScores = Map<string, Map<string, number>>;

function credit(scores: TopologyScores, term: AffinityTerm, node: NodeInfo, amount: number): void {
  const value = node.labels[term.topologyKey];
  if (value === undefined) return;
  let byValue = scores.get(term.topologyKey);
  if (!byValue) scores.set(term.topologyKey, (byValue = new Map()));
  byValue.set(value, (byValue.get(value) ?? 0) + amount);
}

function creditMatching(scores: TopologyScores, terms: readonly AffinityTerm[], target: PodInfo, nsLabels: Labels | undefined, node: NodeInfo, sign: number, fixedWeight?: number): void {
  for (const t of terms) if (termMatches(t, target, nsLabels)) credit(scores, t, node, sign * (fixedWeight ?? t.weight));
}

/** Min-max scaling to 0..MAX_NODE_SCORE (all 0 when every score is equal). */
export function minMaxNormalize(scores: number[]): void {
  let min = Infinity;
  let max = -Infinity;
  for (const s of scores) {
    if (s < min) min = s;
    if (s > max) max = s;
  }
  const diff = max - min;
  for (let i = 0; i < scores.length; i++) scores[i] = diff > 0 ? Math.trunc((MAX_NODE_SCORE * (scores[i]! - min)) / diff) : 0;
}

/** The InterPodAffinity score plugin. */
export const interPodAffinityScore: ScorePlugin = {
  name: INTER_POD_AFFINITY,
  weight: INTER_POD_AFFINITY_WEIGHT,
  preScore(pod, _feasible, snapshot): PodScorer | undefined {
    const hasPreferred = pod.preferredAffinityTerms.length > 0 || pod.preferredAntiAffinityTerms.length > 0;
    const nodes = hasPreferred ? snapshot.nodes : snapshot.nodesWithAffinityPods();
    if (nodes.length === 0) return undefined;
    const scores: TopologyScores = new Map();
    const podNs = snapshot.namespaceLabels(pod.namespace);
    for (const node of nodes) {
      for (const existing of hasPreferred ? node.pods : node.podsWithAffinity) {
        if (hasPreferred) {
          const existingNs = snapshot.namespaceLabels(existing.namespace);
          creditMatching(scores, pod.preferredAffinityTerms, existing, existingNs, node, 1);
          creditMatching(scores, pod.preferredAntiAffinityTerms, existing, existingNs, node, -1);
        }
        creditMatching(scores, existing.requiredAffinityTerms, pod, podNs, node, 1, HARD_POD_AFFINITY_WEIGHT);
        creditMatching(scores, existing.preferredAffinityTerms, pod, podNs, node, 1);
        creditMatching(scores, existing.preferredAntiAffinityTerms, pod, podNs, node, -1);
      }
    }
    if (scores.size === 0) return undefined;
    return {
      score(node) {
        let sum = 0;
        for (const [key, byValue] of scores) {
          const value = node.labels[key];
          if (value !== undefined) sum += byValue.get(value) ?? 0;
        }
        return sum;
      },
      normalize: minMaxNormalize,
    };
  },
};
