/**
 * What one sync of a StatefulSet does (Kubernetes' StatefulSetControl.updateStatefulSet), as a
 * pure plan over the cached pods:
 *
 * 1. Every ordinal in [start, start+replicas) gets a pod: a missing one is created (from the
 *    current revision below the partition, the update revision otherwise); a Failed or Succeeded
 *    one is deleted and recreated once it is gone; a terminating one is waited for (at most one
 *    pod per ordinal at any moment, as pod names are the ordinals).
 * 2. Pods outside that range are condemned and deleted, highest ordinal first.
 * 3. RollingUpdate: pods not at the update revision, from the highest ordinal down to the
 *    partition, are deleted (and so recreated at the update revision) while at most
 *    maxUnavailable (default 1) pods of that range are unavailable. OnDelete: pods change only
 *    when the user deletes them.
 *
 * podManagementPolicy OrderedReady makes the plan monotonic: it stops at the first step that
 * must wait — a pod created, deleted, terminating, or not yet Running and Ready (and available
 * for minReadySeconds) — so ordinal i is created only when 0..i-1 are healthy, and scale-down
 * deletes one pod at a time once every other pod is healthy. Parallel creates and deletes
 * everything at once. Rolling updates go one at a time under both.
 */
import { resolveIntOrPercent } from '../../../lib/api/int-or-string';
import type { StatefulSet } from '../../../lib/api/types/apps';
import type { Pod } from '../../../lib/api/types/core';
import { msUntilAvailable } from '../replicaset/pod-readiness';
import { podOrdinal, podRevision, specReplicas, startOrdinal } from './stateful-pod';

/** Default spec.updateStrategy.rollingUpdate.maxUnavailable (pods). */
export const DEFAULT_MAX_UNAVAILABLE = 1;

/** What a sync sees: the set, the set at its current and update revisions, and its pods. */
export interface StatefulView {
  readonly set: StatefulSet;
  /** The set with the template of its current revision (pods below the partition are made from it). */
  readonly currentSet: StatefulSet;
  readonly currentRevision: string;
  /** The set with the template of its update revision (the newest). */
  readonly updateSet: StatefulSet;
  readonly updateRevision: string;
  /** The set's pods (claimed, named `<set>-<ordinal>`), terminating ones included. */
  readonly pods: readonly Pod[];
  readonly nowMs: number;
}

/** One write of a plan. */
export type StatefulAction =
  | { readonly type: 'create'; readonly ordinal: number; readonly set: StatefulSet; readonly revision: string }
  | { readonly type: 'delete'; readonly pod: Pod; readonly why: 'failed' | 'condemned' | 'update' };

const TERMINAL_PHASES: ReadonlySet<string> = new Set(['Failed', 'Succeeded']);

/** Whether the pod has been deleted (graceful deletion under way). */
export function isTerminating(pod: Pod): boolean {
  return !!pod.metadata.deletionTimestamp;
}

/** Running, Ready, available for minReadySeconds, and not terminating. */
export function isHealthy(pod: Pod, minReadySeconds: number, nowMs: number): boolean {
  return !isTerminating(pod) && pod.status?.phase === 'Running' && msUntilAvailable(pod, minReadySeconds, nowMs) === 0;
}

/** The pods by place: `replicas[i]` is ordinal start+i (or undefined), `condemned` the rest, highest ordinal first. */
export function placePods(set: StatefulSet, pods: readonly Pod[]): { replicas: (Pod | undefined)[]; condemned: Pod[] } {
  const start = startOrdinal(set);
  const replicas: (Pod | undefined)[] = new Array<Pod | undefined>(specReplicas(set)).fill(undefined);
  const condemned: { pod: Pod; ordinal: number }[] = [];
  for (const pod of pods) {
    const ordinal = podOrdinal(set, pod);
    if (ordinal === undefined) continue;
    if (ordinal >= start && ordinal < start + replicas.length) replicas[ordinal - start] = pod;
    else condemned.push({ pod, ordinal });
  }
  condemned.sort((a, b) => b.ordinal - a.ordinal);
  return { replicas, condemned: condemned.map((c) => c.pod) };
}

/** The revision a new pod of `index` (0-based from the start ordinal) is made from. */
function versionedCreate(view: StatefulView, index: number): StatefulAction {
  const us = view.set.spec?.updateStrategy;
  const partition = us?.type === 'RollingUpdate' ? us.rollingUpdate?.partition ?? 0 : 0;
  const ordinal = startOrdinal(view.set) + index;
  return index < partition
    ? { type: 'create', ordinal, set: view.currentSet, revision: view.currentRevision }
    : { type: 'create', ordinal, set: view.updateSet, revision: view.updateRevision };
}

/** The writes this sync makes, in order (see the file comment). */
export function planStatefulSync(view: StatefulView): StatefulAction[] {
  const { set, nowMs } = view;
  const monotonic = set.spec?.podManagementPolicy !== 'Parallel';
  const minReady = set.spec?.minReadySeconds ?? 0;
  const healthy = (p: Pod) => isHealthy(p, minReady, nowMs);
  const { replicas, condemned } = placePods(set, view.pods);
  const actions: StatefulAction[] = [];

  for (let i = 0; i < replicas.length; i++) {
    const pod = replicas[i];
    if (!pod) {
      actions.push(versionedCreate(view, i));
      if (monotonic) return actions;
      continue;
    }
    if (TERMINAL_PHASES.has(pod.status?.phase ?? '') && !isTerminating(pod)) {
      actions.push({ type: 'delete', pod, why: 'failed' });
      if (monotonic) return actions;
      continue;
    }
    if (monotonic && !healthy(pod)) return actions;
  }

  const firstUnhealthy = [...replicas, ...[...condemned].reverse()].find((p) => p !== undefined && !healthy(p));
  for (const pod of condemned) {
    if (isTerminating(pod)) {
      if (monotonic) return actions;
      continue;
    }
    if (monotonic && firstUnhealthy !== undefined && firstUnhealthy !== pod) return actions;
    actions.push({ type: 'delete', pod, why: 'condemned' });
    if (monotonic) return actions;
  }

  return [...actions, ...planRollingUpdate(view, replicas, healthy)];
}

/** maxUnavailable as a pod count (a percentage of replicas rounded down), at least 1; a malformed value counts as the default. */
export function resolveMaxUnavailable(value: number | string | undefined, replicas: number): number {
  try {
    return Math.max(1, resolveIntOrPercent(value ?? DEFAULT_MAX_UNAVAILABLE, replicas, false));
  } catch {
    return DEFAULT_MAX_UNAVAILABLE;
  }
}

/** The deletes of a RollingUpdate step: old pods from the top down to the partition, within maxUnavailable. */
function planRollingUpdate(view: StatefulView, replicas: readonly (Pod | undefined)[], healthy: (p: Pod) => boolean): StatefulAction[] {
  const us = view.set.spec?.updateStrategy;
  if (us?.type === 'OnDelete') return [];
  const partition = Math.max(0, us?.rollingUpdate?.partition ?? 0);
  const maxUnavailable = resolveMaxUnavailable(us?.rollingUpdate?.maxUnavailable, replicas.length);
  let unavailable = 0;
  for (let i = partition; i < replicas.length; i++) {
    const p = replicas[i];
    if (!p || !healthy(p)) unavailable++;
  }
  const deletes: StatefulAction[] = [];
  for (let i = replicas.length - 1; i >= partition && unavailable < maxUnavailable; i--) {
    const pod = replicas[i];
    if (!pod || isTerminating(pod) || podRevision(pod) === view.updateRevision) continue;
    deletes.push({ type: 'delete', pod, why: 'update' });
    if (healthy(pod)) unavailable++;
  }
  return deletes;
}
