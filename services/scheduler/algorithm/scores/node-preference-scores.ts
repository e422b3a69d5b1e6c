/**
 * Scores from the node's own labels and taints (kube-scheduler nodeaffinity and
 * tainttoleration Score):
 * - NodeAffinity (weight 2): the sum of the weights of the preferred terms the node matches,
 *   scaled so the best node gets 100;
 * - TaintToleration (weight 3): the number of PreferNoSchedule taints the pod does not
 *   tolerate (tolerations with effect PreferNoSchedule or none), reversed so the node with the
 *   fewest gets 100.
 */
import { defaultNormalize, type PodScorer, type ScorePlugin } from '../framework';
import { NODE_AFFINITY, TAINT_TOLERATION } from '../filters/node-filters';
import { EFFECT_PREFER_NO_SCHEDULE, tolerationsTolerate } from '../../../../lib/api/tolerations';

export const NODE_AFFINITY_WEIGHT = 2;
export const TAINT_TOLERATION_WEIGHT = 3;

/** The NodeAffinity score plugin (preferred terms). */
export const preferredNodeAffinity: ScorePlugin = {
  name: NODE_AFFINITY,
  weight: NODE_AFFINITY_WEIGHT,
  preScore(pod): PodScorer | undefined {
    const preferred = pod.nodeSelection.preferred;
    if (preferred.length === 0) return undefined;
    return {
      score(node) {
        let sum = 0;
        for (const p of preferred) if (p.weight !== 0 && p.matches(node)) sum += p.weight;
        return sum;
      },
      normalize: (scores) => defaultNormalize(scores, false),
    };
  },
};

/** The TaintToleration score plugin (PreferNoSchedule taints). */
export const preferNoScheduleTaints: ScorePlugin = {
  name: TAINT_TOLERATION,
  weight: TAINT_TOLERATION_WEIGHT,
  preScore(pod): PodScorer {
    const tolerations = pod.tolerations.filter((t) => !t.effect || t.effect === EFFECT_PREFER_NO_SCHEDULE);
    return {
      score(node) {
        let n = 0;
        for (const taint of node.taints) if (taint.effect === EFFECT_PREFER_NO_SCHEDULE && !tolerationsTolerate(tolerations, taint)) n++;
        return n;
      },
      normalize: (scores) => defaultNormalize(scores, true),
    };
  },
};
