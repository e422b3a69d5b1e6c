/**
 * The typed objects of the apps/v1 kinds: Deployment, ReplicaSet, DaemonSet, StatefulSet,
 * ControllerRevision.
 * Kubernetes' JSON field names; only the fields Bosun reads are named, the rest stay open.
 * Shared by the apiserver (its strategies) and every client.
 */
import type { IntOrString } from '../int-or-string';
import type { LabelSelector } from '../label-selector';
import type { KubeObject } from '../object';
import type { PodTemplateSpec } from './core';

/** apps/v1 DeploymentSpec (the fields Bosun reads; others are kept as they are). */
export type DeploymentSpec = {
  replicas?: number;
  selector?: LabelSelector;
  template?: PodTemplateSpec;
  strategy?: { type?: string; rollingUpdate?: { maxUnavailable?: IntOrString; maxSurge?: IntOrString } };
  minReadySeconds?: number;
  revisionHistoryLimit?: number;
  paused?: boolean;
  progressDeadlineSeconds?: number;
  [field: string]: unknown;
};
/** apps/v1 Deployment. */
export type Deployment = KubeObject & { spec?: DeploymentSpec };

/** apps/v1 ReplicaSetSpec. */
export type ReplicaSetSpec = {
  replicas?: number;
  minReadySeconds?: number;
  selector?: LabelSelector;
  template?: PodTemplateSpec;
  [field: string]: unknown;
};
/** apps/v1 ReplicaSet. */
export type ReplicaSet = KubeObject & { spec?: ReplicaSetSpec };

/** apps/v1 DaemonSetSpec. */
export type DaemonSetSpec = {
  selector?: LabelSelector;
  template?: PodTemplateSpec;
  updateStrategy?: { type?: string; rollingUpdate?: { maxUnavailable?: IntOrString; maxSurge?: IntOrString } };
  minReadySeconds?: number;
  revisionHistoryLimit?: number;
  [field: string]: unknown;
};
/** apps/v1 DaemonSet. */
export type DaemonSet = KubeObject & { spec?: DaemonSetSpec };

/** apps/v1 StatefulSetSpec. */
export type StatefulSetSpec = {
  replicas?: number;
  selector?: LabelSelector;
  template?: PodTemplateSpec;
  serviceName?: string;
  podManagementPolicy?: string;
  updateStrategy?: { type?: string; rollingUpdate?: { partition?: number; maxUnavailable?: number | string } };
  revisionHistoryLimit?: number;
  minReadySeconds?: number;
  persistentVolumeClaimRetentionPolicy?: { whenDeleted?: string; whenScaled?: string };
  ordinals?: { start?: number };
  volumeClaimTemplates?: unknown[];
  [field: string]: unknown;
};
/** apps/v1 StatefulSet. */
export type StatefulSet = KubeObject & { spec?: StatefulSetSpec };

/**
 * apps/v1 ControllerRevision: an immutable snapshot of a controller's state (`data`, any JSON
 * object — for a StatefulSet or DaemonSet the patch that restores its template) and its place in
 * the history (`revision`, counting up from 1).
 */
export type ControllerRevision = KubeObject & { data?: Record<string, unknown>; revision?: number };
