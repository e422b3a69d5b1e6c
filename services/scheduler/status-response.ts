/**
 * The scheduler's status as the SchedulerStatus gRPC API answers it.
 */
import type { SchedulerStatusResponse } from '../../gen/bosun/scheduler';
import type { SchedulerStatus } from './scheduler';

/** What the server knows besides the running term's status. */
export interface StatusParts {
  readonly identity: string;
  readonly leader: string;
  readonly leading: boolean;
  readonly schedulerName: string;
  /** The running term's status (undefined when not leading). */
  readonly scheduler: SchedulerStatus | undefined;
}

/** The response message for `parts`. */
export function toStatusResponse(parts: StatusParts): SchedulerStatusResponse {
  const s = parts.scheduler;
  return {
    identity: parts.identity,
    leader: parts.leader,
    leading: parts.leading,
    schedulerName: parts.schedulerName,
    queue: s ? { ...s.queue } : undefined,
    nodes: s?.nodes ?? 0,
    pods: s?.pods ?? 0,
    assumed: s?.assumed ?? 0,
    scheduledTotal: s?.totals.scheduled ?? 0,
    unschedulableTotal: s?.totals.unschedulable ?? 0,
    bindErrorsTotal: s?.totals.bindErrors ?? 0,
    recentDecisions: (s?.recent ?? []).map((d) => ({
      pod: d.pod,
      uid: d.uid,
      time: new Date(d.atMs).toISOString(),
      outcome: d.outcome,
      node: d.node ?? '',
      message: d.message ?? '',
      evaluatedNodes: d.evaluatedNodes,
      feasibleNodes: d.feasibleNodes,
      reasons: d.reasons.map((r) => ({ ...r })),
      topScores: d.topScores.map((t) => ({ node: t.node, score: t.total })),
    })),
  };
}
