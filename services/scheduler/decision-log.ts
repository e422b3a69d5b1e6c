/**
 * Recent scheduling decisions, for the status API: what was decided for each pod, where, how
 * many nodes were looked at, and the reasons nodes were rejected (per reason, with the plugin),
 * plus running totals. Bounded: only the newest DECISIONS_KEPT are kept.
 */
import type { PodInfo } from './algorithm/pod-info';
import type { Diagnosis, NodeScore } from './algorithm/scheduling-algorithm';

/** How many decisions the log keeps. */
export const DECISIONS_KEPT = 100;

/** One reason nodes were rejected for, and on how many nodes. */
export interface ReasonCount {
  readonly reason: string;
  readonly plugin: string;
  readonly nodes: number;
}

/** One decision. */
export interface Decision {
  readonly pod: string;
  readonly uid: string;
  readonly atMs: number;
  readonly outcome: 'Scheduled' | 'Unschedulable' | 'BindFailed';
  /** The chosen node (Scheduled), the nominated node (Unschedulable with preemption). */
  readonly node?: string;
  readonly message?: string;
  readonly evaluatedNodes: number;
  readonly feasibleNodes: number;
  readonly reasons: readonly ReasonCount[];
  readonly topScores: readonly NodeScore[];
}

/** What a caller records. */
export interface DecisionInput {
  readonly pod: PodInfo;
  readonly outcome: Decision['outcome'];
  readonly atMs: number;
  readonly node?: string;
  readonly message?: string;
  readonly evaluatedNodes?: number;
  readonly feasibleNodes?: number;
  readonly diagnosis?: Diagnosis;
  readonly topScores?: readonly NodeScore[];
}

/** Per-reason counts of a diagnosis, most frequent first. */
export function reasonCounts(diagnosis: Diagnosis | undefined): ReasonCount[] {
  const counts = new Map<string, ReasonCount>();
  for (const r of diagnosis?.rejections.values() ?? []) {
    for (const reason of r.reasons) {
      const c = counts.get(reason);
      counts.set(reason, { reason, plugin: r.plugin, nodes: (c?.nodes ?? 0) + 1 });
    }
  }
  return [...counts.values()].sort((a, b) => b.nodes - a.nodes || a.reason.localeCompare(b.reason));
}

export class DecisionLog {
  private readonly entries: Decision[] = [];
  private scheduled = 0;
  private unschedulable = 0;
  private bindErrors = 0;

  add(d: DecisionInput): void {
    if (d.outcome === 'Scheduled') this.scheduled++;
    if (d.outcome === 'Unschedulable') this.unschedulable++;
    this.entries.push({
      pod: d.pod.key,
      uid: d.pod.uid,
      atMs: d.atMs,
      outcome: d.outcome,
      node: d.node,
      message: d.message,
      evaluatedNodes: d.evaluatedNodes ?? d.diagnosis?.numAllNodes ?? 0,
      feasibleNodes: d.feasibleNodes ?? 0,
      reasons: reasonCounts(d.diagnosis),
      topScores: d.topScores ?? [],
    });
    if (this.entries.length > DECISIONS_KEPT) this.entries.splice(0, this.entries.length - DECISIONS_KEPT);
  }

  /** A binding failed: recorded as a decision of its own. */
  bindFailed(pod: PodInfo, node: string, message: string, atMs: number): void {
    this.bindErrors++;
    this.scheduled--;
    this.add({ pod, outcome: 'BindFailed', node, message, atMs });
  }

  totals(): { scheduled: number; unschedulable: number; bindErrors: number } {
    return { scheduled: this.scheduled, unschedulable: this.unschedulable, bindErrors: this.bindErrors };
  }

  /** The newest decisions, newest first. */
  recent(): Decision[] {
    return [...this.entries].reverse();
  }
}
