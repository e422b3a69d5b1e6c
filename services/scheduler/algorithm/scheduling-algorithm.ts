/**
 * Placing one pod (kube-scheduler's schedulePod): PreFilter, then the nodes are filtered
 * starting where the previous pod stopped (a rotating start index), until enough feasible
 * nodes are found (percentageOfNodesToScore: all nodes below 100; otherwise the given
 * percentage, or adaptively 50% − nodes/125 with at least 5%, and never fewer than 100 nodes);
 * the feasible nodes are scored by every score plugin, normalized to 0..100, weighted and
 * summed; the highest total wins, ties broken at random (reservoir sampling, so each tied node
 * is equally likely). A pod with a nominated node that still fits it goes there first.
 *
 * Synchronous and pure apart from the injected random source and the rotating index.
 */
import { FilterCycle } from './filter-cycle';
import type { ClusterSnapshot, Rejection } from './framework';
import type { NodeInfo } from './node-info';
import type { PodInfo } from './pod-info';
import { DEFAULT_PROFILE, type Profile } from './profile';

/** Below this many nodes every node is filtered and scored (kube: minFeasibleNodesToFind). */
export const MIN_FEASIBLE_NODES_TO_FIND = 100;
/** Floor of the adaptive percentage (kube: minFeasibleNodesPercentageToFind). */
export const MIN_FEASIBLE_NODES_PERCENTAGE = 5;
/** Adaptive percentage at zero nodes, in percent. */
export const ADAPTIVE_PERCENTAGE_BASE = 50;
/** The adaptive percentage drops one point per this many nodes. */
export const NODES_PER_ADAPTIVE_PERCENT = 125;

/** A source of uniform random integers: `int(n)` in [0, n). Inject a seeded one in tests. */
export interface RandomSource {
  int(n: number): number;
}

/** Math.random as a RandomSource. */
export const mathRandom: RandomSource = { int: (n) => Math.floor(Math.random() * n) };

/**
 * How many feasible nodes to look for among `numAllNodes` (kube: numFeasibleNodesToFind);
 * `percentage` 0 means adaptive.
 */
export function numFeasibleNodesToFind(numAllNodes: number, percentage = 0): number {
  if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND) return numAllNodes;
  let pct = percentage;
  if (pct <= 0) pct = Math.max(MIN_FEASIBLE_NODES_PERCENTAGE, ADAPTIVE_PERCENTAGE_BASE - Math.trunc(numAllNodes / NODES_PER_ADAPTIVE_PERCENT));
  if (pct >= 100) return numAllNodes;
  return Math.max(MIN_FEASIBLE_NODES_TO_FIND, Math.trunc((numAllNodes * pct) / 100));
}

/** Why no node was chosen: every node's rejection (kube: Diagnosis.NodeToStatus). */
export interface Diagnosis {
  readonly numAllNodes: number;
  readonly rejections: ReadonlyMap<string, Rejection>;
}

/** One node's score in a decision (status output). */
export interface NodeScore {
  readonly node: string;
  readonly total: number;
}

/** The outcome of {@link SchedulingAlgorithm.schedule}. */
export type ScheduleOutcome =
  | {
      readonly kind: 'scheduled';
      readonly node: string;
      /** Nodes filtered. */
      readonly evaluatedNodes: number;
      /** Nodes that passed the filters (and were scored). */
      readonly feasibleNodes: number;
      /** The best few totals, highest first. */
      readonly topScores: readonly NodeScore[];
      /** Rejections of the nodes filtered on the way. */
      readonly diagnosis: Diagnosis;
    }
  | { readonly kind: 'unschedulable'; readonly diagnosis: Diagnosis; readonly cycle: FilterCycle }
  | { readonly kind: 'no-nodes' };

/** How many of the best totals a decision keeps for status output. */
export const TOP_SCORES_KEPT = 3;

/** Options of a {@link SchedulingAlgorithm}. */
export interface AlgorithmOptions {
  readonly profile?: Profile;
  /** Tie-breaking (and preemption's starting offset). */
  readonly random: RandomSource;
  /** percentageOfNodesToScore; 0 or absent: adaptive. */
  readonly percentageOfNodesToScore?: number;
}

/** The scheduling algorithm. Keeps only the rotating start index between pods. */
export class SchedulingAlgorithm {
  readonly profile: Profile;
  readonly random: RandomSource;
  private readonly percentage: number;
  private nextStartNodeIndex = 0;

  constructor(options: AlgorithmOptions) {
    this.profile = options.profile ?? DEFAULT_PROFILE;
    this.random = options.random;
    this.percentage = options.percentageOfNodesToScore ?? 0;
  }

  /** Chooses a node for `pod` in `snapshot`, or says why none fits. */
  schedule(pod: PodInfo, snapshot: ClusterSnapshot): ScheduleOutcome {
    const nodes = snapshot.nodes;
    if (nodes.length === 0) return { kind: 'no-nodes' };
    const cycle = FilterCycle.prepare(pod, snapshot, this.profile.filters);
    const rejections = new Map<string, Rejection>();
    if (pod.nominatedNodeName) {
      const nominated = snapshot.node(pod.nominatedNodeName);
      if (nominated && !cycle.runWithNominated(nominated)) {
        return { kind: 'scheduled', node: nominated.name, evaluatedNodes: 1, feasibleNodes: 1, topScores: [], diagnosis: { numAllNodes: nodes.length, rejections } };
      }
    }
    const feasible = this.findFeasible(cycle, nodes, rejections);
    const diagnosis: Diagnosis = { numAllNodes: nodes.length, rejections };
    if (feasible.length === 0) return { kind: 'unschedulable', diagnosis, cycle };
    const evaluatedNodes = feasible.length + rejections.size;
    if (feasible.length === 1) {
      return { kind: 'scheduled', node: feasible[0]!.name, evaluatedNodes, feasibleNodes: 1, topScores: [], diagnosis };
    }
    const totals = this.score(pod, feasible, snapshot);
    const chosen = this.selectHost(totals);
    const topScores = topTotals(feasible, totals, TOP_SCORES_KEPT);
    return { kind: 'scheduled', node: feasible[chosen]!.name, evaluatedNodes, feasibleNodes: feasible.length, topScores, diagnosis };
  }

  private findFeasible(cycle: FilterCycle, nodes: readonly NodeInfo[], rejections: Map<string, Rejection>): NodeInfo[] {
    const n = nodes.length;
    const wanted = numFeasibleNodesToFind(n, this.percentage);
    const start = this.nextStartNodeIndex % n;
    const feasible: NodeInfo[] = [];
    let processed = 0;
    for (let i = 0; i < n; i++) {
      const node = nodes[(start + i) % n]!;
      processed++;
      const r = cycle.runWithNominated(node);
      if (r) rejections.set(node.name, r);
      else if (feasible.push(node) >= wanted) break;
    }
    this.nextStartNodeIndex = (start + processed) % n;
    return feasible;
  }

  /** The weighted sum of the normalized scores of every feasible node. */
  private score(pod: PodInfo, feasible: readonly NodeInfo[], snapshot: ClusterSnapshot): number[] {
    const totals = new Array<number>(feasible.length).fill(0);
    const scores = new Array<number>(feasible.length);
    for (const plugin of this.profile.scores) {
      const scorer = plugin.preScore(pod, feasible, snapshot);
      if (!scorer) continue;
      for (let i = 0; i < feasible.length; i++) scores[i] = scorer.score(feasible[i]!);
      scorer.normalize?.(scores, feasible);
      for (let i = 0; i < feasible.length; i++) totals[i] += scores[i]! * plugin.weight;
    }
    return totals;
  }

  /** Index of the highest total; ties broken uniformly at random. */
  private selectHost(totals: readonly number[]): number {
    let best = -Infinity;
    let chosen = 0;
    let ties = 0;
    for (let i = 0; i < totals.length; i++) {
      const t = totals[i]!;
      if (t > best) {
        best = t;
        chosen = i;
        ties = 1;
      } else if (t === best) {
        ties++;
        if (this.random.int(ties) === 0) chosen = i;
      }
    }
    return chosen;
  }
}

/** The `k` highest totals (highest first), in one pass over the nodes. */
function topTotals(nodes: readonly NodeInfo[], totals: readonly number[], k: number): NodeScore[] {
  const top: NodeScore[] = [];
  for (let i = 0; i < nodes.length; i++) {
    const t = totals[i]!;
    if (top.length === k && t <= top[k - 1]!.total) continue;
    let at = top.length;
    while (at > 0 && top[at - 1]!.total < t) at--;
    top.splice(at, 0, { node: nodes[i]!.name, total: t });
    if (top.length > k) top.pop();
  }
  return top;
}
