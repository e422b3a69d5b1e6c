/**
 * Which generated protobuf message carries each API kind: apiVersion + kind → the message's
 * fully-qualified name (the key into K8S_MESSAGE_FIELDS) and its ts-proto encode/decode.
 */
import type { BinaryWriter } from '@bufbuild/protobuf/wire';
import { ControllerRevision, ControllerRevisionList } from '../../../gen/k8s/api/apps/v1/controller-revision';
import { DaemonSet, DaemonSetList } from '../../../gen/k8s/api/apps/v1/daemon-set';
import { Deployment, DeploymentList } from '../../../gen/k8s/api/apps/v1/deployment';
import { ReplicaSet, ReplicaSetList } from '../../../gen/k8s/api/apps/v1/replica-set';
import { StatefulSet, StatefulSetList } from '../../../gen/k8s/api/apps/v1/stateful-set';
import {
  HorizontalPodAutoscaler as HorizontalPodAutoscalerV1,
  HorizontalPodAutoscalerList as HorizontalPodAutoscalerListV1,
} from '../../../gen/k8s/api/autoscaling/v1/horizontal-pod-autoscaler';
import { Scale } from '../../../gen/k8s/api/autoscaling/v1/scale';
import { HorizontalPodAutoscaler, HorizontalPodAutoscalerList } from '../../../gen/k8s/api/autoscaling/v2/horizontal-pod-autoscaler';
import { CronJob, CronJobList, Job, JobList } from '../../../gen/k8s/api/batch/v1/batch';
import { Lease, LeaseList } from '../../../gen/k8s/api/coordination/v1/lease';
import { EndpointSlice, EndpointSliceList } from '../../../gen/k8s/api/discovery/v1/endpoint-slice';
import { LocalSubjectAccessReview, SelfSubjectAccessReview, SelfSubjectRulesReview, SubjectAccessReview } from '../../../gen/k8s/api/authorization/v1/access-review';
import { SelfSubjectReview } from '../../../gen/k8s/api/authentication/v1/self-subject-review';
import { TokenRequest } from '../../../gen/k8s/api/authentication/v1/token-request';
import { Ingress, IngressList } from '../../../gen/k8s/api/networking/v1/ingress';
import { IngressClass, IngressClassList } from '../../../gen/k8s/api/networking/v1/ingress-class';
import { StorageClass, StorageClassList } from '../../../gen/k8s/api/storage/v1/storage-class';
import { ConfigMap, ConfigMapList, Secret, SecretList, ServiceAccount, ServiceAccountList } from '../../../gen/k8s/api/core/v1/config';
import { Endpoints, EndpointsList } from '../../../gen/k8s/api/core/v1/endpoints';
import { Event, EventList } from '../../../gen/k8s/api/core/v1/event';
import { Namespace, NamespaceList } from '../../../gen/k8s/api/core/v1/namespace';
import { Node, NodeList } from '../../../gen/k8s/api/core/v1/node';
import { PersistentVolume, PersistentVolumeList } from '../../../gen/k8s/api/core/v1/persistent-volume';
import { PersistentVolumeClaim, PersistentVolumeClaimList } from '../../../gen/k8s/api/core/v1/persistent-volume-claim';
import { Binding, Pod, PodList, PodTemplate, PodTemplateList } from '../../../gen/k8s/api/core/v1/pod';
import { ReplicationController, ReplicationControllerList } from '../../../gen/k8s/api/core/v1/replication-controller';
import { ResourceQuota, ResourceQuotaList } from '../../../gen/k8s/api/core/v1/resource-quota';
import { LimitRange, LimitRangeList } from '../../../gen/k8s/api/core/v1/limit-range';
import { Service, ServiceList } from '../../../gen/k8s/api/core/v1/service';
import { ClusterRole, ClusterRoleList, Role, RoleList } from '../../../gen/k8s/api/rbac/v1/role';
import { ClusterRoleBinding, ClusterRoleBindingList, RoleBinding, RoleBindingList } from '../../../gen/k8s/api/rbac/v1/role-binding';
import { Eviction } from '../../../gen/k8s/api/policy/v1/eviction';
import { PodDisruptionBudget, PodDisruptionBudgetList } from '../../../gen/k8s/api/policy/v1/pod-disruption-budget';
import { PriorityClass, PriorityClassList } from '../../../gen/k8s/api/scheduling/v1/priority-class';
import { APIGroup, APIGroupList, APIResourceList, APIVersions } from '../../../gen/k8s/apimachinery/meta/v1/discovery';
import { DeleteOptions, Status } from '../../../gen/k8s/apimachinery/meta/v1/meta';
import { WatchEvent } from '../../../gen/k8s/apimachinery/meta/v1/watch';

/** The part of a ts-proto message namespace the converter needs. */
export interface ProtoCodec {
  encode(message: any, writer?: BinaryWriter): BinaryWriter;
  decode(input: Uint8Array): unknown;
}

/** One API kind served in protobuf: its JSON identity and its message. */
export interface ProtoKind {
  apiVersion: string;
  kind: string;
  /** Fully-qualified protobuf message name, e.g. `k8s.io.api.core.v1.Pod`. */
  message: string;
  codec: ProtoCodec;
}

const CORE = 'k8s.io.api.core.v1.';
const APPS = 'k8s.io.api.apps.v1.';
const BATCH = 'k8s.io.api.batch.v1.';
const AUTOSCALING_V1 = 'k8s.io.api.autoscaling.v1.';
const AUTOSCALING_V2 = 'k8s.io.api.autoscaling.v2.';
const COORDINATION = 'k8s.io.api.coordination.v1.';
const RBAC = 'k8s.io.api.rbac.v1.';
const SCHEDULING = 'k8s.io.api.scheduling.v1.';
const POLICY = 'k8s.io.api.policy.v1.';
const DISCOVERY = 'k8s.io.api.discovery.v1.';
const AUTHORIZATION = 'k8s.io.api.authorization.v1.';
const NETWORKING = 'k8s.io.api.networking.v1.';
const STORAGE = 'k8s.io.api.storage.v1.';
const META = 'k8s.io.apimachinery.pkg.apis.meta.v1.';

const TABLE: ReadonlyArray<readonly [string, string, ProtoCodec]> = [
  ['v1', CORE + 'Namespace', Namespace], ['v1', CORE + 'NamespaceList', NamespaceList],
  ['v1', CORE + 'ConfigMap', ConfigMap], ['v1', CORE + 'ConfigMapList', ConfigMapList],
  ['v1', CORE + 'Secret', Secret], ['v1', CORE + 'SecretList', SecretList],
  ['v1', CORE + 'ServiceAccount', ServiceAccount], ['v1', CORE + 'ServiceAccountList', ServiceAccountList],
  ['v1', CORE + 'Service', Service], ['v1', CORE + 'ServiceList', ServiceList],
  ['v1', CORE + 'Pod', Pod], ['v1', CORE + 'PodList', PodList],
  ['v1', CORE + 'PodTemplate', PodTemplate], ['v1', CORE + 'PodTemplateList', PodTemplateList],
  ['v1', CORE + 'Binding', Binding],
  ['v1', CORE + 'Event', Event], ['v1', CORE + 'EventList', EventList],
  ['v1', CORE + 'Endpoints', Endpoints], ['v1', CORE + 'EndpointsList', EndpointsList],
  ['v1', CORE + 'Node', Node], ['v1', CORE + 'NodeList', NodeList],
  ['v1', CORE + 'PersistentVolumeClaim', PersistentVolumeClaim], ['v1', CORE + 'PersistentVolumeClaimList', PersistentVolumeClaimList],
  ['v1', CORE + 'ReplicationController', ReplicationController], ['v1', CORE + 'ReplicationControllerList', ReplicationControllerList],
  ['v1', CORE + 'ResourceQuota', ResourceQuota], ['v1', CORE + 'ResourceQuotaList', ResourceQuotaList],
  ['v1', CORE + 'LimitRange', LimitRange], ['v1', CORE + 'LimitRangeList', LimitRangeList],
  ['v1', CORE + 'PersistentVolume', PersistentVolume], ['v1', CORE + 'PersistentVolumeList', PersistentVolumeList],
  ['v1', META + 'Status', Status],
  ['v1', META + 'DeleteOptions', DeleteOptions],
  // One event of a watch stream, and the discovery documents (served as apiVersion v1 like Status).
  ['v1', META + 'WatchEvent', WatchEvent],
  ['v1', META + 'APIVersions', APIVersions], ['v1', META + 'APIGroupList', APIGroupList],
  ['v1', META + 'APIGroup', APIGroup], ['v1', META + 'APIResourceList', APIResourceList],
  ['apps/v1', APPS + 'Deployment', Deployment], ['apps/v1', APPS + 'DeploymentList', DeploymentList],
  ['apps/v1', APPS + 'ReplicaSet', ReplicaSet], ['apps/v1', APPS + 'ReplicaSetList', ReplicaSetList],
  ['apps/v1', APPS + 'DaemonSet', DaemonSet], ['apps/v1', APPS + 'DaemonSetList', DaemonSetList],
  ['apps/v1', APPS + 'StatefulSet', StatefulSet], ['apps/v1', APPS + 'StatefulSetList', StatefulSetList],
  ['apps/v1', APPS + 'ControllerRevision', ControllerRevision], ['apps/v1', APPS + 'ControllerRevisionList', ControllerRevisionList],
  ['batch/v1', BATCH + 'Job', Job], ['batch/v1', BATCH + 'JobList', JobList],
  ['batch/v1', BATCH + 'CronJob', CronJob], ['batch/v1', BATCH + 'CronJobList', CronJobList],
  // The scale subresource body (GET/PUT …/scale) of Deployments, ReplicaSets and StatefulSets.
  ['autoscaling/v1', AUTOSCALING_V1 + 'Scale', Scale],
  ['autoscaling/v1', AUTOSCALING_V1 + 'HorizontalPodAutoscaler', HorizontalPodAutoscalerV1],
  ['autoscaling/v1', AUTOSCALING_V1 + 'HorizontalPodAutoscalerList', HorizontalPodAutoscalerListV1],
  ['autoscaling/v2', AUTOSCALING_V2 + 'HorizontalPodAutoscaler', HorizontalPodAutoscaler],
  ['autoscaling/v2', AUTOSCALING_V2 + 'HorizontalPodAutoscalerList', HorizontalPodAutoscalerList],
  ['coordination.k8s.io/v1', COORDINATION + 'Lease', Lease], ['coordination.k8s.io/v1', COORDINATION + 'LeaseList', LeaseList],
  ['rbac.authorization.k8s.io/v1', RBAC + 'Role', Role], ['rbac.authorization.k8s.io/v1', RBAC + 'RoleList', RoleList],
  ['rbac.authorization.k8s.io/v1', RBAC + 'RoleBinding', RoleBinding], ['rbac.authorization.k8s.io/v1', RBAC + 'RoleBindingList', RoleBindingList],
  ['rbac.authorization.k8s.io/v1', RBAC + 'ClusterRole', ClusterRole], ['rbac.authorization.k8s.io/v1', RBAC + 'ClusterRoleList', ClusterRoleList],
  ['rbac.authorization.k8s.io/v1', RBAC + 'ClusterRoleBinding', ClusterRoleBinding],
  ['rbac.authorization.k8s.io/v1', RBAC + 'ClusterRoleBindingList', ClusterRoleBindingList],
  ['scheduling.k8s.io/v1', SCHEDULING + 'PriorityClass', PriorityClass], ['scheduling.k8s.io/v1', SCHEDULING + 'PriorityClassList', PriorityClassList],
  ['policy/v1', POLICY + 'PodDisruptionBudget', PodDisruptionBudget], ['policy/v1', POLICY + 'PodDisruptionBudgetList', PodDisruptionBudgetList],
  // The body of the pods/eviction subresource (POST …/pods/<name>/eviction).
  ['policy/v1', POLICY + 'Eviction', Eviction],
  ['discovery.k8s.io/v1', DISCOVERY + 'EndpointSlice', EndpointSlice], ['discovery.k8s.io/v1', DISCOVERY + 'EndpointSliceList', EndpointSliceList],
  // The access reviews (answered, never stored; kubectl sends them as protobuf).
  ['authorization.k8s.io/v1', AUTHORIZATION + 'SelfSubjectAccessReview', SelfSubjectAccessReview], ['authorization.k8s.io/v1', AUTHORIZATION + 'SubjectAccessReview', SubjectAccessReview],
  ['authorization.k8s.io/v1', AUTHORIZATION + 'LocalSubjectAccessReview', LocalSubjectAccessReview], ['authorization.k8s.io/v1', AUTHORIZATION + 'SelfSubjectRulesReview', SelfSubjectRulesReview],
  ['authentication.k8s.io/v1', 'k8s.io.api.authentication.v1.SelfSubjectReview', SelfSubjectReview],
  ['authentication.k8s.io/v1', 'k8s.io.api.authentication.v1.TokenRequest', TokenRequest],
  ['networking.k8s.io/v1', NETWORKING + 'Ingress', Ingress], ['networking.k8s.io/v1', NETWORKING + 'IngressList', IngressList],
  ['networking.k8s.io/v1', NETWORKING + 'IngressClass', IngressClass], ['networking.k8s.io/v1', NETWORKING + 'IngressClassList', IngressClassList],
  ['storage.k8s.io/v1', STORAGE + 'StorageClass', StorageClass], ['storage.k8s.io/v1', STORAGE + 'StorageClassList', StorageClassList],
];

const BY_KEY = new Map<string, ProtoKind>(
  TABLE.map(([apiVersion, message, codec]) => {
    const kind = message.slice(message.lastIndexOf('.') + 1);
    return [`${apiVersion}/${kind}`, { apiVersion, kind, message, codec }];
  }),
);

/** The kind's protobuf mapping, or undefined when this apiVersion/kind has none. */
export function findProtoKind(apiVersion: string, kind: string): ProtoKind | undefined {
  return BY_KEY.get(`${apiVersion}/${kind}`);
}

/** Every kind with a protobuf mapping. */
export function protoKinds(): ProtoKind[] {
  return [...BY_KEY.values()];
}
