import { BinaryReader } from '@bufbuild/protobuf/wire';
import { CreatePodRequest, UpdatePodRequest } from '../../gen/bosun/api/core/v1/core';
import { GetRequest, ListRequest, WatchRequest } from '../../gen/bosun/api/requests';
import { ListMeta } from '../../gen/k8s/apimachinery/meta/v1/meta';
import { fullServiceName } from '../../lib/api/grpc-services';
import type { KubeObject } from '../../lib/api/object';
import { toProto } from '../../lib/api/proto/convert';
import { findProtoKind } from '../../lib/api/proto/kinds';
import { podStrategy } from '../../services/apiserver/kinds/core';
import { frameMessage } from '../store/grpc-lite';

/**
 * The apiserver calls of the benchmark as framed protobuf bytes for the lean grpc-lite client
 * (bench/store/grpc-lite.ts, the same client the raw store puts use): objects go through the
 * same toProto conversion and generated codecs GrpcApiClient uses, but once, ahead of the timed
 * loops, so the load generator's CPU per call stays small. Responses are checked by their gRPC
 * status, not decoded (as for the raw puts).
 */

const PODS = fullServiceName(podStrategy.info);
export const PODS_CREATE = `/${PODS}/Create`;
export const PODS_GET = `/${PODS}/Get`;
export const PODS_LIST = `/${PODS}/List`;
export const PODS_UPDATE = `/${PODS}/Update`;
export const PODS_WATCH = `/${PODS}/Watch`;

const POD_KIND = (() => {
  const k = findProtoKind('v1', 'Pod');
  if (!k) throw new Error('no protobuf message for v1 Pod');
  return k;
})();

/**
 * A pod of about the size of a typical one as stored (~1.5 KB of JSON once the apiserver has
 * added defaults, uid and timestamps): labels, annotations, two containers with ports, env,
 * resources and a probe. `seq` goes into a label so each write differs.
 */
export function benchPod(name: string, seq = 0): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      labels: { app: 'bench-web', tier: 'frontend', release: 'r-2024-11', 'bench/seq': String(seq) },
      annotations: { 'bench.bosun.dev/owner': 'apiserver-benchmark', 'bench.bosun.dev/note': 'a pod of typical size for load tests' },
    },
    spec: {
      containers: [
        {
          name: 'web',
          image: 'registry.example.com/team/web-frontend:1.27.3',
          ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
          env: [
            { name: 'LOG_LEVEL', value: 'info' },
            { name: 'UPSTREAM_URL', value: 'http://backend.default.svc.cluster.local:9090' },
          ],
          resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
          readinessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 5 },
        },
        {
          name: 'sidecar',
          image: 'registry.example.com/infra/log-shipper:2.4.0',
          args: ['--input=/var/log/app', '--output=stdout'],
          resources: { requests: { cpu: '10m', memory: '32Mi' } },
        },
      ],
    },
  };
}

/** A framed CreatePodRequest of `pod` in `namespace`. */
export function framedCreate(namespace: string, pod: KubeObject): Buffer {
  const req = CreatePodRequest.fromPartial({ namespace });
  req.object = toProto(POD_KIND, pod) as unknown as CreatePodRequest['object'];
  return frameMessage(CreatePodRequest.encode(req).finish());
}

/** A framed UpdatePodRequest replacing `pod` (unconditional when it has no resourceVersion). */
export function framedUpdate(namespace: string, pod: KubeObject): Buffer {
  const req = UpdatePodRequest.fromPartial({ namespace });
  req.object = toProto(POD_KIND, pod) as unknown as UpdatePodRequest['object'];
  return frameMessage(UpdatePodRequest.encode(req).finish());
}

/** A framed GetRequest. */
export function framedGet(namespace: string, name: string): Buffer {
  return frameMessage(GetRequest.encode(GetRequest.fromPartial({ namespace, name })).finish());
}

/** A framed ListRequest of one namespace; limit 0 lists everything (from the watch cache). */
export function framedList(namespace: string, limit = 0, continueToken = ''): Buffer {
  return frameMessage(ListRequest.encode(ListRequest.fromPartial({ namespace, limit, continue: continueToken })).finish());
}

/** A framed WatchRequest of one namespace from `resourceVersion` (no initial events, no bookmarks). */
export function framedWatch(namespace: string, resourceVersion: string): Buffer {
  return frameMessage(WatchRequest.encode(WatchRequest.fromPartial({ namespace, resourceVersion })).finish());
}

/** What listSummary() reads from a PodList without decoding its items. */
export interface ListSummary {
  readonly items: number;
  readonly resourceVersion: string;
  readonly continueToken: string;
}

/** Field numbers of k8s.io.api.core.v1.PodList. */
const LIST_META_FIELD = 1;
const LIST_ITEMS_FIELD = 2;

/**
 * Counts the items of an encoded PodList and reads its ListMeta, skipping the items' bytes
 * (decoding 10,000 pods would cost the load generator more than the call).
 */
export function listSummary(bytes: Uint8Array): ListSummary {
  const reader = new BinaryReader(bytes);
  let items = 0;
  let meta: ListMeta | undefined;
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === LIST_META_FIELD) meta = ListMeta.decode(reader.bytes());
    else if (field === LIST_ITEMS_FIELD) {
      items++;
      reader.skip(wireType);
    } else reader.skip(wireType);
  }
  return { items, resourceVersion: meta?.resourceVersion ?? '', continueToken: meta?.continue ?? '' };
}

/** PodWatchEvent field 1 (type) is a string: its first letter tells MODIFIED from ERROR without decoding. */
const EVENT_TYPE_TAG = 0x0a;

/** The first letter of an encoded PodWatchEvent's type ('A', 'M', 'D', 'B', 'E'), or '' when it does not start with the type. */
export function watchEventLetter(msg: Buffer): string {
  return msg.length >= 3 && msg[0] === EVENT_TYPE_TAG ? String.fromCharCode(msg[2]) : '';
}
