/**
 * Kubernetes' message for a pod that fits nowhere (kube-scheduler framework.FitError.Error):
 * `0/N nodes are available: ` then "count reason" for every reason of the nodes' rejections,
 * sorted as strings and joined with ", ", then a period; then the PostFilter (preemption)
 * message, if any, after a space. Nodes without a status of their own count under
 * `absentReason` (preemption's "Preemption is not helpful for scheduling").
 */
import type { Rejection } from './framework';
import type { Diagnosis } from './scheduling-algorithm';

/** The message when the cluster has no nodes at all (kube: ErrNoNodesAvailable). */
export const NO_NODES_AVAILABLE = 'no nodes available to schedule pods';

/** Options of {@link formatFitError}. */
export interface FitErrorParts {
  /** Reason of every node without an explicit rejection. */
  readonly absentReason?: string;
  /** The PostFilter (preemption) message, appended after a space. */
  readonly postFilterMessage?: string;
}

/** The FitError message for `numAllNodes` nodes of which those in `rejections` were rejected. */
export function formatFitError(numAllNodes: number, rejections: Iterable<Rejection>, parts: FitErrorParts = {}): string {
  const histogram = new Map<string, number>();
  let explicit = 0;
  for (const r of rejections) {
    explicit++;
    for (const reason of r.reasons) histogram.set(reason, (histogram.get(reason) ?? 0) + 1);
  }
  if (parts.absentReason && explicit < numAllNodes) histogram.set(parts.absentReason, (histogram.get(parts.absentReason) ?? 0) + numAllNodes - explicit);
  const sorted = [...histogram].map(([reason, n]) => `${n} ${reason}`).sort();
  let message = `0/${numAllNodes} nodes are available:`;
  if (sorted.length > 0) message += ` ${sorted.join(', ')}.`;
  if (parts.postFilterMessage) message += ` ${parts.postFilterMessage}`;
  return message;
}

/** The message of a pod no node fits (`diagnosis`), with preemption's message when it failed. */
export function diagnosisMessage(diagnosis: Diagnosis, postFilterMessage?: string): string {
  return formatFitError(diagnosis.numAllNodes, diagnosis.rejections.values(), { postFilterMessage });
}
