/**
 * The status shapes the Deployment controller reads and writes (apps/v1 DeploymentStatus,
 * DeploymentCondition and the ReplicaSetStatus counters), Kubernetes' field names, and the
 * well-known labels, annotations and condition reasons it uses — the names `kubectl rollout`
 * reads back.
 */
import type { Deployment, ReplicaSet } from '../../../lib/api/types';

/** apps/v1 DeploymentCondition. */
export interface DeploymentCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastUpdateTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

/** apps/v1 DeploymentStatus. */
export interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  conditions?: DeploymentCondition[];
  collisionCount?: number;
}

/** The ReplicaSetStatus counters the Deployment controller sums. */
export interface ReplicaSetStatus {
  replicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  observedGeneration?: number;
  conditions?: { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string }[];
}

/** The label (in every ReplicaSet's selector and template) that tells templates apart. */
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';
/** The revision of a ReplicaSet's template, and the Deployment's current one. */
export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
/** Earlier revisions a reused ReplicaSet carried (comma-separated). */
export const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
/** The Deployment's spec.replicas when the ReplicaSet was last scaled by it. */
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
/** spec.replicas + maxSurge when the ReplicaSet was last scaled (the base of proportional scaling). */
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';
/** kubectl's last-applied configuration: never copied from a Deployment to its ReplicaSets. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
/** Deployment annotations that are the controller's own and not copied to ReplicaSets. */
export const ANNOTATIONS_NOT_COPIED: ReadonlySet<string> = new Set([
  LAST_APPLIED_ANNOTATION,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  'deprecated.deployment.rollback.to',
]);

/** Condition types. */
export const CONDITION_AVAILABLE = 'Available';
export const CONDITION_PROGRESSING = 'Progressing';
export const CONDITION_REPLICA_FAILURE = 'ReplicaFailure';

/** Condition reasons, as Kubernetes names them. */
export const REASON = {
  newReplicaSetCreated: 'NewReplicaSetCreated',
  foundNewReplicaSet: 'FoundNewReplicaSet',
  replicaSetUpdated: 'ReplicaSetUpdated',
  newReplicaSetAvailable: 'NewReplicaSetAvailable',
  progressDeadlineExceeded: 'ProgressDeadlineExceeded',
  paused: 'DeploymentPaused',
  resumed: 'DeploymentResumed',
  minimumReplicasAvailable: 'MinimumReplicasAvailable',
  minimumReplicasUnavailable: 'MinimumReplicasUnavailable',
  replicaSetCreateError: 'ReplicaSetCreateError',
} as const;

/** Event reasons. */
export const EVENT_SCALING_REPLICA_SET = 'ScalingReplicaSet';
export const EVENT_SELECTOR_REQUIRED = 'SelectorRequired';

/** The status of a Deployment, typed. */
export function deploymentStatus(d: Deployment): DeploymentStatus {
  return (d.status ?? {}) as DeploymentStatus;
}

/** The status of a ReplicaSet, typed. */
export function replicaSetStatus(rs: ReplicaSet): ReplicaSetStatus {
  return (rs.status ?? {}) as ReplicaSetStatus;
}
