/**
 * The status a replica controller writes (Kubernetes' calculateStatus of the ReplicaSet
 * controller): counts of the owner's active pods, observedGeneration, and the ReplicaFailure
 * condition while creating or deleting pods fails.
 */
import { type Selector, selectorFromSet } from '../../../lib/api/label-selector';
import type { Pod } from '../../../lib/api/types/core';
import { msUntilAvailable, isPodReady } from './pod-readiness';

/** The condition type reporting failed pod creates/deletes. */
export const REPLICA_FAILURE = 'ReplicaFailure';
/** ReplicaFailure reason while creating pods fails. */
export const REASON_FAILED_CREATE = 'FailedCreate';
/** ReplicaFailure reason while deleting pods fails. */
export const REASON_FAILED_DELETE = 'FailedDelete';

/** A ReplicaSet / ReplicationController condition. */
export interface ReplicaCondition {
  type: string;
  status: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

/** apps/v1 ReplicaSetStatus and core/v1 ReplicationControllerStatus (the same fields). */
export interface ReplicaStatus {
  replicas?: number;
  fullyLabeledReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  observedGeneration?: number;
  conditions?: ReplicaCondition[];
  [field: string]: unknown;
}

/** What a sync's pod management ended with, for the ReplicaFailure condition. */
export interface ManageOutcome {
  /** The failure of this sync's creates or deletes, if any. */
  readonly error?: unknown;
  /** Which of the two failed (meaningful only with `error`). */
  readonly reason?: typeof REASON_FAILED_CREATE | typeof REASON_FAILED_DELETE;
}

/** Inputs of {@link calculateStatus}. */
export interface StatusInput {
  readonly previous: ReplicaStatus | undefined;
  readonly generation: number | undefined;
  /** The owner's active pods (claimed, not terminating, not finished). */
  readonly pods: readonly Pod[];
  /** The labels of the owner's pod template (fullyLabeledReplicas counts pods carrying all of them). */
  readonly templateLabels: Readonly<Record<string, string>>;
  readonly minReadySeconds: number;
  readonly outcome: ManageOutcome;
  readonly nowMs: number;
}

/** The new status and, when a ready pod still waits out minReadySeconds, how long until the first does. */
export interface StatusResult {
  readonly status: ReplicaStatus;
  /** ms until the next ready pod becomes available (undefined: none is waiting). */
  readonly nextAvailableInMs?: number;
}

/** Kubernetes' calculateStatus; conditions other than ReplicaFailure are kept as they were. */
export function calculateStatus(input: StatusInput): StatusResult {
  const template: Selector = selectorFromSet({ ...input.templateLabels });
  let fullyLabeled = 0;
  let ready = 0;
  let available = 0;
  let nextAvailableInMs: number | undefined;
  for (const pod of input.pods) {
    if (template.matches(pod.metadata.labels ?? {})) fullyLabeled++;
    if (isPodReady(pod)) ready++;
    const wait = msUntilAvailable(pod, input.minReadySeconds, input.nowMs);
    if (wait === 0) available++;
    else if (wait !== undefined) nextAvailableInMs = Math.min(nextAvailableInMs ?? wait, wait);
  }
  const status: ReplicaStatus = {
    ...(input.previous ?? {}),
    replicas: input.pods.length,
    fullyLabeledReplicas: fullyLabeled,
    readyReplicas: ready,
    availableReplicas: available,
  };
  if (input.generation !== undefined) status.observedGeneration = input.generation;
  const conditions = failureConditions(input.previous?.conditions ?? [], input.outcome, input.nowMs);
  if (conditions.length) status.conditions = conditions;
  else delete status.conditions;
  return { status, nextAvailableInMs };
}

/**
 * The conditions after a sync: ReplicaFailure added (status True, the failure's reason and
 * message) when this sync failed and none is set; removed when this sync succeeded; an existing
 * one is left as it is while failures go on (Kubernetes keeps the first failure's message).
 */
function failureConditions(previous: readonly ReplicaCondition[], outcome: ManageOutcome, nowMs: number): ReplicaCondition[] {
  const has = previous.some((c) => c.type === REPLICA_FAILURE);
  if (outcome.error !== undefined && !has) {
    const message = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
    return [...previous, { type: REPLICA_FAILURE, status: 'True', lastTransitionTime: new Date(nowMs).toISOString(), reason: outcome.reason ?? REASON_FAILED_CREATE, message }];
  }
  if (outcome.error === undefined && has) return previous.filter((c) => c.type !== REPLICA_FAILURE);
  return [...previous];
}

/** Whether two statuses differ in anything the controller writes (avoids no-op writes). */
export function statusDiffers(a: ReplicaStatus | undefined, b: ReplicaStatus): boolean {
  const x = a ?? {};
  return (
    (x.replicas ?? 0) !== (b.replicas ?? 0) ||
    (x.fullyLabeledReplicas ?? 0) !== (b.fullyLabeledReplicas ?? 0) ||
    (x.readyReplicas ?? 0) !== (b.readyReplicas ?? 0) ||
    (x.availableReplicas ?? 0) !== (b.availableReplicas ?? 0) ||
    x.observedGeneration !== b.observedGeneration ||
    JSON.stringify(x.conditions ?? []) !== JSON.stringify(b.conditions ?? [])
  );
}
