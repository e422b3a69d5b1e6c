/**
 * The typed objects of the core/v1 kinds: Pod (and its PodSpec parts), Node, Namespace, Service, Endpoints, ConfigMap,
 * Secret, ServiceAccount, PersistentVolume(Claim), ResourceQuota, LimitRange, the pods/binding body; Event lives in
 * lib/api/core-event and is re-exported here.
 * Kubernetes' JSON field names; only the fields Bosun reads are named, the rest stay open.
 * Shared by the apiserver (its strategies) and every client.
 */
import type { LabelSelector } from '../label-selector';
import type { KubeObject, ObjectMeta } from '../object';

export type { Event, ObjectReference } from '../core-event';

export interface ContainerPort {
  name?: string;
  containerPort?: number;
  hostPort?: number;
  hostIP?: string;
  protocol?: string;
}
export interface EnvVar {
  name?: string;
  value?: string;
  valueFrom?: Record<string, unknown>;
}
export interface ResourceRequirements {
  limits?: Record<string, string>;
  requests?: Record<string, string>;
}
export interface VolumeMount {
  name?: string;
  mountPath?: string;
  readOnly?: boolean;
  subPath?: string;
}
export interface Container {
  name?: string;
  image?: string;
  command?: string[];
  args?: string[];
  workingDir?: string;
  ports?: ContainerPort[];
  env?: EnvVar[];
  resources?: ResourceRequirements;
  volumeMounts?: VolumeMount[];
  imagePullPolicy?: string;
  terminationMessagePath?: string;
  terminationMessagePolicy?: string;
  [field: string]: unknown;
}
export interface Volume {
  name?: string;
  secret?: { secretName?: string; defaultMode?: number; [f: string]: unknown };
  configMap?: { name?: string; defaultMode?: number; [f: string]: unknown };
  [field: string]: unknown;
}
export interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}
export interface PodSpec {
  containers?: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
  restartPolicy?: string;
  terminationGracePeriodSeconds?: number;
  activeDeadlineSeconds?: number;
  dnsPolicy?: string;
  nodeSelector?: Record<string, string>;
  serviceAccountName?: string;
  serviceAccount?: string;
  nodeName?: string;
  hostNetwork?: boolean;
  securityContext?: Record<string, unknown>;
  schedulerName?: string;
  tolerations?: Toleration[];
  enableServiceLinks?: boolean;
  /** The PriorityClass the pod's priority comes from (resolved by Priority admission). */
  priorityClassName?: string;
  /** Set by Priority admission from the PriorityClass; a pod may only repeat that value. */
  priority?: number;
  /** PreemptLowerPriority or Never; set by Priority admission from the PriorityClass. */
  preemptionPolicy?: string;
  [field: string]: unknown;
}
export interface PodTemplateSpec {
  metadata?: ObjectMeta;
  spec?: PodSpec;
}

/** A core/v1 Pod. */
export interface Pod extends KubeObject {
  spec?: PodSpec;
  status?: { phase?: string; qosClass?: string; podIP?: string; nominatedNodeName?: string; [field: string]: unknown };
}

export interface Taint {
  key?: string;
  value?: string;
  effect?: string;
  timeAdded?: string;
}
/** A core/v1 Node's status (the fields the apiserver looks at; the rest are kept as sent). */
export interface NodeStatus {
  capacity?: Record<string, string>;
  allocatable?: Record<string, string>;
  [field: string]: unknown;
}
/** A core/v1 Node. */
export interface Node extends KubeObject {
  spec?: { podCIDR?: string; podCIDRs?: string[]; providerID?: string; unschedulable?: boolean; taints?: Taint[]; [field: string]: unknown };
  status?: NodeStatus;
}

/** A core/v1 Namespace. */
export interface Namespace extends KubeObject {
  spec?: { finalizers?: string[] };
  status?: { phase?: string; [field: string]: unknown };
}

export interface ServicePort {
  name?: string;
  protocol?: string;
  port?: number;
  targetPort?: number | string;
  nodePort?: number;
  appProtocol?: string;
}
export interface ServiceSpec {
  type?: string;
  selector?: Record<string, string>;
  ports?: ServicePort[];
  clusterIP?: string;
  clusterIPs?: string[];
  externalName?: string;
  externalIPs?: string[];
  sessionAffinity?: string;
  externalTrafficPolicy?: string;
  internalTrafficPolicy?: string;
  [field: string]: unknown;
}
/** A core/v1 Service. */
export interface Service extends KubeObject {
  spec?: ServiceSpec;
  status?: { loadBalancer?: Record<string, unknown>; [field: string]: unknown };
}

export interface EndpointAddress {
  ip?: string;
  hostname?: string;
  nodeName?: string;
  targetRef?: Record<string, unknown>;
}
export interface EndpointPort {
  name?: string;
  port?: number;
  protocol?: string;
  appProtocol?: string;
}
export interface EndpointSubset {
  addresses?: EndpointAddress[];
  notReadyAddresses?: EndpointAddress[];
  ports?: EndpointPort[];
}
/** A core/v1 Endpoints object (no spec: `subsets` at the top). */
export interface Endpoints extends KubeObject {
  subsets?: EndpointSubset[];
}

/** A core/v1 ConfigMap. */
export interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
  immutable?: boolean;
}

/** A core/v1 Secret. `data` values are base64; `stringData` is write-only plain text. */
export interface Secret extends KubeObject {
  type?: string;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  immutable?: boolean;
}

/** A core/v1 ServiceAccount. */
export interface ServiceAccount extends KubeObject {
  secrets?: { name?: string; namespace?: string }[];
  imagePullSecrets?: { name?: string }[];
  automountServiceAccountToken?: boolean;
}

export interface PersistentVolumeClaimSpec {
  accessModes?: string[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  volumeName?: string;
  storageClassName?: string;
  volumeMode?: string;
  selector?: LabelSelector;
  [field: string]: unknown;
}
/** A core/v1 PersistentVolumeClaim. */
export interface PersistentVolumeClaim extends KubeObject {
  spec?: PersistentVolumeClaimSpec;
  status?: { phase?: string; [field: string]: unknown };
}

/** A core/v1 PersistentVolume. */
export interface PersistentVolume extends KubeObject {
  spec?: {
    capacity?: Record<string, string>;
    accessModes?: string[];
    persistentVolumeReclaimPolicy?: string;
    volumeMode?: string;
    storageClassName?: string;
    claimRef?: Record<string, unknown>;
    [field: string]: unknown;
  };
  status?: { phase?: string; [field: string]: unknown };
}

/** A core/v1 Binding: the scheduler's request to put a pod on a node (pods/binding). */
export interface Binding {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  target?: { kind?: string; name?: string; apiVersion?: string };
}

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

/** A pod condition. */
export interface PodCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string | null;
  lastProbeTime?: string | null;
}

/** A resource name → quantity map (Kubernetes' ResourceList): `{ cpu: '500m', pods: '10' }`. */
export type ResourceList = Record<string, string>;

/** One requirement of a ResourceQuota's scopeSelector. */
export interface ScopedResourceSelectorRequirement {
  scopeName?: string;
  operator?: string;
  values?: string[];
}
/** A core/v1 ResourceQuota: hard limits on what a namespace may hold, and what it holds. */
export interface ResourceQuota extends KubeObject {
  spec?: { hard?: ResourceList; scopes?: string[]; scopeSelector?: { matchExpressions?: ScopedResourceSelectorRequirement[] } };
  status?: { hard?: ResourceList; used?: ResourceList };
}

/** One item of a LimitRange: the bounds and defaults of one type (Container, Pod, PersistentVolumeClaim). */
export interface LimitRangeItem {
  type?: string;
  max?: ResourceList;
  min?: ResourceList;
  default?: ResourceList;
  defaultRequest?: ResourceList;
  maxLimitRequestRatio?: ResourceList;
}
/** A core/v1 LimitRange. */
export interface LimitRange extends KubeObject {
  spec?: { limits?: LimitRangeItem[] };
}
