/**
 * Which generated protobuf message carries each API kind: apiVersion + kind → the message's
 * fully-qualified name (the key into K8S_MESSAGE_FIELDS) and its ts-proto encode/decode.
 */
import type { BinaryWriter } from '@bufbuild/protobuf/wire';
import { Deployment, DeploymentList, ReplicaSet, ReplicaSetList } from '../../../gen/k8s/api/apps/v1/apps';
import { CronJob, CronJobList, Job, JobList } from '../../../gen/k8s/api/batch/v1/batch';
import { ConfigMap, ConfigMapList, Secret, SecretList, ServiceAccount, ServiceAccountList } from '../../../gen/k8s/api/core/v1/config';
import { Endpoints, EndpointsList } from '../../../gen/k8s/api/core/v1/endpoints';
import { Event, EventList } from '../../../gen/k8s/api/core/v1/event';
import { Namespace, NamespaceList } from '../../../gen/k8s/api/core/v1/namespace';
import { Node, NodeList } from '../../../gen/k8s/api/core/v1/node';
import { PersistentVolumeClaim, PersistentVolumeClaimList } from '../../../gen/k8s/api/core/v1/persistent-volume-claim';
import { Binding, Pod, PodList, PodTemplate, PodTemplateList } from '../../../gen/k8s/api/core/v1/pod';
import { Service, ServiceList } from '../../../gen/k8s/api/core/v1/service';
import { DeleteOptions, Status } from '../../../gen/k8s/apimachinery/meta/v1/meta';

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
  ['v1', META + 'Status', Status],
  ['v1', META + 'DeleteOptions', DeleteOptions],
  ['apps/v1', APPS + 'Deployment', Deployment], ['apps/v1', APPS + 'DeploymentList', DeploymentList],
  ['apps/v1', APPS + 'ReplicaSet', ReplicaSet], ['apps/v1', APPS + 'ReplicaSetList', ReplicaSetList],
  ['batch/v1', BATCH + 'Job', Job], ['batch/v1', BATCH + 'JobList', JobList],
  ['batch/v1', BATCH + 'CronJob', CronJob], ['batch/v1', BATCH + 'CronJobList', CronJobList],
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
