/**
 * The parts of core/v1 Pod and Node the scheduler reads, in Kubernetes' JSON field names. The
 * API hands objects over as open records (lib/api/object); these interfaces only name what the
 * algorithm looks at. Nothing here is trusted: pod-info.ts and node-info.ts check every value
 * they use and report a malformed object instead of failing later.
 */
import type { KubeObject } from '../../../lib/api/object';
import type { NodeSelectorRequirement, NodeSelectorTerm, PodAffinityTerm, WeightedPodAffinityTerm, Affinity, TopologySpreadConstraint, PodCondition } from '../../../lib/api/types/core';

/** The Kubernetes shapes of scheduling constraints, defined once in lib/api/types. */
export type { NodeSelectorRequirement, NodeSelectorTerm, PodAffinityTerm, WeightedPodAffinityTerm, Affinity, TopologySpreadConstraint, PodCondition };

/** A label map. */
export type Labels = Record<string, string>;

/** Resource name → quantity string (requests, limits, capacity, allocatable, overhead). */
export type ResourceMap = Record<string, string | number>;

/** A node taint. */
export interface Taint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute' | string;
}

/** A pod toleration. An empty key with operator Exists tolerates every taint. */
export interface Toleration {
  key?: string;
  operator?: 'Equal' | 'Exists' | string;
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}

/** A container's ports and resources. */
export interface Container {
  name?: string;
  ports?: { containerPort?: number; hostPort?: number; hostIP?: string; protocol?: string }[];
  resources?: { requests?: ResourceMap; limits?: ResourceMap };
  restartPolicy?: string;
}

/** The pod spec fields the scheduler reads. */
export interface PodSpec {
  nodeName?: string;
  schedulerName?: string;
  nodeSelector?: Labels;
  affinity?: Affinity;
  tolerations?: Toleration[];
  topologySpreadConstraints?: TopologySpreadConstraint[];
  containers?: Container[];
  initContainers?: Container[];
  overhead?: ResourceMap;
  priority?: number;
  preemptionPolicy?: 'PreemptLowerPriority' | 'Never' | string;
  schedulingGates?: { name: string }[];
}

/** The pod status fields the scheduler reads and writes. */
export interface PodStatus {
  phase?: string;
  nominatedNodeName?: string;
  startTime?: string;
  conditions?: PodCondition[];
}

/** A core/v1 Pod as the scheduler sees it. */
export interface Pod extends KubeObject {
  spec?: PodSpec & Record<string, unknown>;
  status?: PodStatus & Record<string, unknown>;
}

/** A core/v1 Node as the scheduler sees it. */
export interface Node extends KubeObject {
  spec?: { unschedulable?: boolean; taints?: Taint[] } & Record<string, unknown>;
  status?: { capacity?: ResourceMap; allocatable?: ResourceMap } & Record<string, unknown>;
}

/** The label every kubelet sets to its node's name; the key of per-node spreading. */
export const LABEL_HOSTNAME = 'kubernetes.io/hostname';
/** The zone label (default spreading's second key). */
export const LABEL_ZONE = 'topology.kubernetes.io/zone';
