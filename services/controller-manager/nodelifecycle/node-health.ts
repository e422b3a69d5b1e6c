/**
 * When a node has stopped reporting, and what its conditions become then (Kubernetes' node
 * lifecycle controller, tryUpdateNodeHealth). The controller notes, on its own clock, the moment
 * it last saw the node's Lease renewTime or its Ready heartbeat change (the "probe time"), so
 * clock skew between agent and controller-manager does not matter; a node whose probe time is
 * older than the grace period gets every kubelet condition set to Unknown.
 */
import type { Node } from '../../../lib/api/types/core';

/** The conditions a node agent keeps, which go Unknown together when it stops reporting. */
export const NODE_AGENT_CONDITIONS: readonly string[] = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];
export const REASON_NODE_STATUS_UNKNOWN = 'NodeStatusUnknown';
export const REASON_NODE_STATUS_NEVER_UPDATED = 'NodeStatusNeverUpdated';
export const MESSAGE_STOPPED_POSTING = 'Kubelet stopped posting node status.';
export const MESSAGE_NEVER_POSTED = 'Kubelet never posted node status.';

export interface NodeCondition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
  lastHeartbeatTime?: string;
  lastTransitionTime?: string;
  [field: string]: unknown;
}

/** What the controller last saw of a node's heartbeats. */
export interface ProbeRecord {
  renewTime: string;
  readyHeartbeat: string;
  /** When (controller clock, ms) either changed last. */
  probeMs: number;
}

export function conditionsOf(node: Node): NodeCondition[] {
  const conditions = (node.status as { conditions?: unknown } | undefined)?.conditions;
  return Array.isArray(conditions) ? (conditions as NodeCondition[]) : [];
}

export function readyCondition(node: Node): NodeCondition | undefined {
  return conditionsOf(node).find((c) => c.type === 'Ready');
}

/** The probe record after seeing `node` and its lease renewTime at `nowMs`. */
export function observe(previous: ProbeRecord | undefined, node: Node, renewTime: string, nowMs: number): ProbeRecord {
  const readyHeartbeat = readyCondition(node)?.lastHeartbeatTime ?? '';
  if (previous && previous.renewTime === renewTime && previous.readyHeartbeat === readyHeartbeat) return previous;
  return { renewTime, readyHeartbeat, probeMs: nowMs };
}

/**
 * The conditions of a node whose agent stopped reporting: every agent condition Unknown (those it
 * never posted added as NodeStatusNeverUpdated), transition time now for those that changed.
 * Undefined when they already say so.
 */
export function unknownConditions(node: Node, now: string): NodeCondition[] | undefined {
  const current = conditionsOf(node);
  let changed = false;
  const next = current.map((c) => {
    if (!NODE_AGENT_CONDITIONS.includes(c.type ?? '') || c.status === 'Unknown') return c;
    changed = true;
    return { ...c, status: 'Unknown', reason: REASON_NODE_STATUS_UNKNOWN, message: MESSAGE_STOPPED_POSTING, lastTransitionTime: now };
  });
  for (const type of NODE_AGENT_CONDITIONS) {
    if (current.some((c) => c.type === type)) continue;
    changed = true;
    next.push({ type, status: 'Unknown', reason: REASON_NODE_STATUS_NEVER_UPDATED, message: MESSAGE_NEVER_POSTED, lastHeartbeatTime: now, lastTransitionTime: now });
  }
  return changed ? next : undefined;
}
