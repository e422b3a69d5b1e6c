/**
 * The two kinds one replica controller serves: apps/v1 ReplicaSet and core/v1
 * ReplicationController. They differ only in where they live, their selector's shape (a
 * LabelSelector vs a plain label map) and their names; everything else is the same code.
 */
import { type LabelSelector, nothing, type Selector, selectorFromLabelSelector, selectorFromSet } from '../../../lib/api/label-selector';
import type { KubeObject, ResourceInfo } from '../../../lib/api/object';
import { RESOURCES } from '../../../lib/api/resources';
import type { PodTemplateSpec } from '../../../lib/api/types/core';
import type { ReplicaStatus } from './replica-status';

/** The fields of a ReplicaSet or ReplicationController the controller reads. */
export interface ReplicaOwner extends KubeObject {
  spec?: {
    replicas?: number;
    minReadySeconds?: number;
    selector?: LabelSelector | Record<string, string>;
    template?: PodTemplateSpec;
    [field: string]: unknown;
  };
  status?: ReplicaStatus;
}

/** What distinguishes one replica kind from the other. */
export interface ReplicaKind {
  /** The resource the controller watches and owns pods for. */
  readonly info: ResourceInfo;
  /** The controller's name in `--controllers` (kube-controller-manager's). */
  readonly controllerName: string;
  /** The Event source (Kubernetes' component name). */
  readonly component: string;
  /** The owner's pod selector. Throws (naming the field) when it is malformed. */
  selectorOf(owner: ReplicaOwner): Selector;
}

/** apps/v1 ReplicaSet: `spec.selector` is a LabelSelector. */
export const REPLICA_SET_KIND: ReplicaKind = {
  info: RESOURCES.replicasets,
  controllerName: 'replicaset',
  component: 'replicaset-controller',
  selectorOf: (owner) => selectorFromLabelSelector(owner.spec?.selector as LabelSelector | undefined, 'spec.selector'),
};

/**
 * core/v1 ReplicationController: `spec.selector` is a label map (defaulted by the apiserver to
 * the template's labels). An empty map would select every pod of the namespace; it selects none
 * here, so a controller never adopts pods it was not meant to.
 */
export const REPLICATION_CONTROLLER_KIND: ReplicaKind = {
  info: RESOURCES.replicationcontrollers,
  controllerName: 'replicationcontroller',
  component: 'replication-controller',
  selectorOf: (owner) => {
    const set = (owner.spec?.selector ?? {}) as Record<string, string>;
    return Object.keys(set).length === 0 ? nothing() : selectorFromSet(set);
  },
};
