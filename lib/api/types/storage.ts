/**
 * The typed objects of the storage.k8s.io/v1 kinds: StorageClass, and the well-known names of
 * dynamic provisioning (class annotations, the claim annotations the PV controller, the scheduler
 * and provisioners exchange). Kubernetes' JSON field names. Shared by the apiserver (strategy,
 * DefaultStorageClass admission), the scheduler, the controller-manager and the node agent.
 */
import { newestDefaultClass } from '../default-class';
import type { KubeObject } from '../object';

/** What happens to a dynamically provisioned volume once its claim is gone. */
export type StorageClassReclaimPolicy = 'Delete' | 'Retain';
/** When claims of a class are bound and provisioned. */
export type VolumeBindingMode = 'Immediate' | 'WaitForFirstConsumer';

/** core/v1 TopologySelectorTerm, as a StorageClass's allowedTopologies carries it. */
export type TopologySelectorTerm = { matchLabelExpressions?: { key: string; values: string[] }[] };

/** A storage.k8s.io/v1 StorageClass: fields sit at the top level (no spec, no status). */
export interface StorageClass extends KubeObject {
  provisioner: string;
  parameters?: Record<string, string>;
  reclaimPolicy?: StorageClassReclaimPolicy;
  mountOptions?: string[];
  allowVolumeExpansion?: boolean;
  volumeBindingMode?: VolumeBindingMode;
  allowedTopologies?: TopologySelectorTerm[];
}

/** Marks the class a claim without storageClassName gets (value "true"). */
export const DEFAULT_STORAGE_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';
/** Set by the scheduler on a WaitForFirstConsumer claim: the node its first pod was bound to. */
export const SELECTED_NODE_ANNOTATION = 'volume.kubernetes.io/selected-node';
/** Set by the PV controller on a claim it wants provisioned: the provisioner's name. */
export const STORAGE_PROVISIONER_ANNOTATION = 'volume.kubernetes.io/storage-provisioner';
/** The pre-1.23 spelling of {@link STORAGE_PROVISIONER_ANNOTATION}, still written by Kubernetes. */
export const BETA_STORAGE_PROVISIONER_ANNOTATION = 'volume.beta.kubernetes.io/storage-provisioner';
/** On a PV: the provisioner that made it (and that deletes it under reclaimPolicy Delete). */
export const PROVISIONED_BY_ANNOTATION = 'pv.kubernetes.io/provisioned-by';
/** On a claim: the PV controller finished binding it ("yes"). */
export const BIND_COMPLETED_ANNOTATION = 'pv.kubernetes.io/bind-completed';
/** On a PV or claim: the PV controller (not the user) set claimRef / volumeName ("yes"). */
export const BOUND_BY_CONTROLLER_ANNOTATION = 'pv.kubernetes.io/bound-by-controller';

/** The default among `classes`: annotated as default, the newest, then the first by name (Kubernetes' choice since 1.26). */
export function defaultStorageClass(classes: readonly StorageClass[]): StorageClass | undefined {
  return newestDefaultClass(classes, DEFAULT_STORAGE_CLASS_ANNOTATION);
}
