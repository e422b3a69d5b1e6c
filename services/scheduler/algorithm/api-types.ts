/**
 * The parts of core/v1 Pod and Node the scheduler reads, in Kubernetes' JSON field names. The
 * API hands objects over as open records (lib/api/object); these interfaces only name what the
 * algorithm looks at. Nothing here is trusted: pod-info.ts and node-info.ts check every value
 * they use and report a malformed object instead of failing later.
 */
import type { KubeObject } from '../../../lib/api/object';
import type { LabelSelector } from '../../../lib/api/label-selector';

/** A label map. */
export type Labels = Record<string, string>;

/** Resource name → quantity string (requests, limits, capacity, allocatable, overhead). */
export type ResourceMap = Record<string, string | number>;

/** One `matchExpressions` / `matchFields` entry of a node selector term. */
export interface NodeSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';
  values?: string[];
}

/** One term of a node selector; the requirements of a term are ANDed. */
export interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[];
  matchFields?: NodeSelectorRequirement[];
}

/** A pod affinity or anti-affinity term. */
export interface PodAffinityTerm {
  labelSelector?: LabelSelector | null;
  namespaces?: string[];
  namespaceSelector?: LabelSelector | null;
  topologyKey: string;
  /** Keys of the pod's own labels whose values the selected pods must share (key In [value]). */
  matchLabelKeys?: string[];
  /** Keys of the pod's own labels whose values the selected pods must not have (key NotIn [value]). */
  mismatchLabelKeys?: string[];
}

/** A term with its weight (1–100). */
export interface WeightedPodAffinityTerm {
  weight: number;
  podAffinityTerm: PodAffinityTerm;
}

/** spec.affinity. */
export interface Affinity {
  nodeAffinity?: {
    requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: NodeSelectorTerm[] } | null;
    preferredDuringSchedulingIgnoredDuringExecution?: { weight: number; preference: NodeSelectorTerm }[];
  };
  podAffinity?: {
    requiredDuringSchedulingIgnoredDuringExecution?: PodAffinityTerm[];
    preferredDuringSchedulingIgnoredDuringExecution?: WeightedPodAffinityTerm[];
  };
  podAntiAffinity?: {
    requiredDuringSchedulingIgnoredDuringExecution?: PodAffinityTerm[];
    preferredDuringSchedulingIgnoredDuringExecution?: WeightedPodAffinityTerm[];
  };
}

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

/** spec.topologySpreadConstraints[*]. */
export interface TopologySpreadConstraint {
  maxSkew: number;
  topologyKey: string;
  whenUnsatisfiable: 'DoNotSchedule' | 'ScheduleAnyway' | string;
  labelSelector?: LabelSelector | null;
  minDomains?: number;
  nodeAffinityPolicy?: 'Honor' | 'Ignore' | string;
  nodeTaintsPolicy?: 'Honor' | 'Ignore' | string;
  matchLabelKeys?: string[];
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

/** A pod condition. */
export interface PodCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string | null;
  lastProbeTime?: string | null;
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
