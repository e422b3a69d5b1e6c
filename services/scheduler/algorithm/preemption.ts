/**
 * DefaultPreemption (kube-scheduler defaultpreemption + framework/preemption), pure: when a pod
 * fits nowhere, find a node where evicting pods of lower priority makes room, and the fewest,
 * least important such pods.
 *
 * - Not eligible: `preemptionPolicy: Never`; or the pod already preempted and a lower-priority
 *   pod on its nominated node is still terminating (wait for it instead of evicting more).
 * - Only nodes rejected as `Unschedulable` are tried (evictions cannot fix the others), from a
 *   random offset, until max(10% of them, 100) candidates are found.
 * - On a node: remove every lower-priority pod; if the pod still does not fit, the node cannot
 *   help; else give pods back, keeping each that still lets the pod fit: first those whose
 *   eviction would violate a PodDisruptionBudget, then the others, each part from the most
 *   important down. Those not given back are the victims (most important first); the violating
 *   ones among them are counted. Pods of equal or higher priority are never victims. Nominated
 *   pods of higher or equal priority keep their room throughout.
 * - Among candidates: the fewest budget violations, then the lowest highest-victim priority,
 *   then the lowest sum of priorities, then the fewest victims, then the latest start of the
 *   most important victims, then the first.
 * - Failure messages follow Kubernetes: `preemption: 0/N nodes are available: …` with
 *   "No preemption victims found for incoming pod" and "Preemption is not helpful for
 *   scheduling", or `preemption: not eligible due to …`.
 */
import { splitByBudgetViolation, type DisruptionBudget } from './disruption-budgets';
import type { FilterCycle } from './filter-cycle';
import { formatFitError } from './fit-error';
import { rejection, type ClusterSnapshot, type Rejection } from './framework';
import type { NodeInfo } from './node-info';
import type { PodInfo } from './pod-info';
import type { Diagnosis, RandomSource } from './scheduling-algorithm';

export const DEFAULT_PREEMPTION = 'DefaultPreemption';

export const REASON_NO_VICTIMS = 'No preemption victims found for incoming pod';
export const REASON_NOT_HELPFUL = 'Preemption is not helpful for scheduling';
export const MESSAGE_POLICY_NEVER = 'not eligible due to preemptionPolicy=Never.';
export const MESSAGE_TERMINATING_ON_NOMINATED = 'not eligible due to a terminating pod on the nominated node.';
/** Prefix of every preemption message in a FitError. */
export const PREEMPTION_PREFIX = 'preemption: ';

/** Share of the potential nodes to find candidates on, in percent (kube default 10). */
export const MIN_CANDIDATE_NODES_PERCENTAGE = 10;
/** Least number of candidates to look for (kube default 100). */
export const MIN_CANDIDATE_NODES_ABSOLUTE = 100;
/** Added to every priority when summing, so negative priorities compare right (kube: MaxInt32 + 1). */
const PRIORITY_OFFSET = 2 ** 31;

/** The result of {@link preempt}. */
export type PreemptionOutcome =
  | { readonly kind: 'preempt'; readonly node: string; readonly victims: readonly PodInfo[] }
  /**
   * No room can be made. `clearNomination`: no node can help, so a nomination the pod holds
   * from an earlier preemption is void (false when the pod is only not eligible right now).
   */
  | { readonly kind: 'failed'; readonly message: string; readonly clearNomination: boolean };

/** The PostFilter message a FitError carries: preemption's reason when it failed, none when it nominated a node. */
export function postFilterMessage(outcome: PreemptionOutcome): string | undefined {
  return outcome.kind === 'failed' ? outcome.message : undefined;
}

/** kube's MoreImportantPod: higher priority, then earlier start. */
export function moreImportant(a: PodInfo, b: PodInfo): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  return a.startMs - b.startMs;
}

/** How many candidates to look for among `n` potential nodes. */
export function numCandidates(n: number): number {
  return Math.min(n, Math.max(MIN_CANDIDATE_NODES_ABSOLUTE, Math.trunc((n * MIN_CANDIDATE_NODES_PERCENTAGE) / 100)));
}

/** The victims preemption picked on one node, and how many of them violate a budget. */
export interface Candidate {
  readonly node: string;
  /** Most important first. */
  readonly victims: readonly PodInfo[];
  readonly numViolatingVictims: number;
}

/**
 * Runs preemption for `pod`, which the cycle `cycle` found to fit nowhere (`diagnosis`),
 * honouring the PodDisruptionBudgets `budgets`.
 */
export function preempt(
  pod: PodInfo,
  snapshot: ClusterSnapshot,
  diagnosis: Diagnosis,
  cycle: FilterCycle,
  random: RandomSource,
  budgets: readonly DisruptionBudget[] = [],
): PreemptionOutcome {
  const notEligible = eligibility(pod, snapshot, diagnosis);
  if (notEligible) return { kind: 'failed', message: PREEMPTION_PREFIX + notEligible, clearNomination: false };
  const potential = snapshot.nodes.filter((n) => diagnosis.rejections.get(n.name)?.code === 'Unschedulable');
  const statuses = new Map<string, Rejection>();
  const candidates: Candidate[] = [];
  if (potential.length > 0) {
    const offset = random.int(potential.length);
    const wanted = numCandidates(potential.length);
    for (let i = 0; i < potential.length && candidates.length < wanted; i++) {
      const node = potential[(offset + i) % potential.length]!;
      const result = selectVictims(pod, node.clone(), cycle.clone(), budgets);
      if ('victims' in result) candidates.push(result);
      else statuses.set(node.name, result);
    }
  }
  if (candidates.length === 0) {
    const message = PREEMPTION_PREFIX + formatFitError(diagnosis.numAllNodes, statuses.values(), { absentReason: REASON_NOT_HELPFUL });
    return { kind: 'failed', message, clearNomination: true };
  }
  const best = pickCandidate(candidates);
  return { kind: 'preempt', node: best.node, victims: best.victims };
}

/** Why `pod` may not preempt, or undefined when it may. */
function eligibility(pod: PodInfo, snapshot: ClusterSnapshot, diagnosis: Diagnosis): string | undefined {
  if (pod.preemptionPolicy === 'Never') return MESSAGE_POLICY_NEVER;
  const nominated = pod.nominatedNodeName ? snapshot.node(pod.nominatedNodeName) : undefined;
  if (nominated && diagnosis.rejections.get(nominated.name)?.code !== 'UnschedulableAndUnresolvable') {
    if (nominated.pods.some((p) => p.terminating && p.priority < pod.priority)) return MESSAGE_TERMINATING_ON_NOMINATED;
  }
  return undefined;
}

/**
 * The victims on `node` (a copy, changed here) that make room for `pod`, most important first,
 * with how many violate a budget, or the rejection saying why the node cannot help.
 */
export function selectVictims(pod: PodInfo, node: NodeInfo, cycle: FilterCycle, budgets: readonly DisruptionBudget[] = []): Candidate | Rejection {
  const potential = node.pods.filter((p) => p.priority < pod.priority);
  if (potential.length === 0) return rejection(DEFAULT_PREEMPTION, 'UnschedulableAndUnresolvable', REASON_NO_VICTIMS);
  for (const p of potential) {
    node.removePod(p.key);
    cycle.removePod(p, node);
  }
  const stillRejected = cycle.runWithNominated(node);
  if (stillRejected) return stillRejected;
  potential.sort(moreImportant);
  const { violating, nonViolating } = splitByBudgetViolation(potential, budgets);
  const victims: PodInfo[] = [];
  /** Gives `p` back to the node; false (and `p` a victim) when the pod then no longer fits. */
  const reprieve = (p: PodInfo): boolean => {
    node.addPod(p);
    cycle.addPod(p, node);
    if (!cycle.runWithNominated(node)) return true;
    node.removePod(p.key);
    cycle.removePod(p, node);
    victims.push(p);
    return false;
  };
  let numViolatingVictims = 0;
  for (const p of violating) if (!reprieve(p)) numViolatingVictims++;
  for (const p of nonViolating) reprieve(p);
  if (victims.length === 0) return rejection(DEFAULT_PREEMPTION, 'Unschedulable', `expected at least one victim pod on node "${node.name}"`);
  victims.sort(moreImportant);
  return { node: node.name, victims, numViolatingVictims };
}

/** The start time of the most important victims' earliest starter (victims sorted most important first). */
function earliestStartOfTopPriority(victims: readonly PodInfo[]): number {
  const top = victims[0]!.priority;
  let earliest = Infinity;
  for (const v of victims) if (v.priority === top && v.startMs < earliest) earliest = v.startMs;
  return earliest;
}

/** kube's pickOneNodeForPreemption. */
export function pickCandidate<C extends { node: string; victims: readonly PodInfo[]; numViolatingVictims?: number }>(candidates: readonly C[]): C {
  const criteria: ((c: C) => number)[] = [
    (c) => -(c.numViolatingVictims ?? 0),
    (c) => -c.victims[0]!.priority,
    (c) => -c.victims.reduce((sum, v) => sum + v.priority + PRIORITY_OFFSET, 0),
    (c) => -c.victims.length,
    (c) => earliestStartOfTopPriority(c.victims),
  ];
  let remaining = [...candidates];
  for (const score of criteria) {
    if (remaining.length === 1) break;
    let best = -Infinity;
    let kept: C[] = [];
    for (const c of remaining) {
      const s = score(c);
      if (s > best) {
        best = s;
        kept = [c];
      } else if (s === best) kept.push(c);
    }
    remaining = kept;
  }
  return remaining[0]!;
}
