import { expect } from 'chai';
import { Unknown } from '../../../gen/k8s/apimachinery/runtime/runtime';
import { WatchEvent } from '../../../gen/k8s/apimachinery/meta/v1/watch';
import { decodeObject, encodeObject, hasMagic, JsonObject, K8S_PROTOBUF_MAGIC } from './convert';
import { findProtoKind, protoKinds } from './kinds';

/** JSON → protobuf bytes → JSON. */
function roundTrip(json: JsonObject): JsonObject {
  const { kind, bytes } = encodeObject(json);
  return decodeObject(kind, bytes);
}
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

const podTemplate = (app: string, image: string) => ({
  metadata: { labels: { app } },
  spec: { containers: [{ name: app, image, ports: [{ name: 'main', containerPort: 8080, protocol: 'TCP' }] }] },
});

describe('proto/kinds', () => {
  it('maps every kind the apiserver serves, each to a message of its own package', () => {
    const want: Array<[string, string]> = [
      ['v1', 'PersistentVolume'], ['v1', 'PersistentVolumeList'], ['v1', 'WatchEvent'],
      ['v1', 'APIVersions'], ['v1', 'APIGroupList'], ['v1', 'APIGroup'], ['v1', 'APIResourceList'],
      ['apps/v1', 'DaemonSet'], ['apps/v1', 'DaemonSetList'], ['apps/v1', 'StatefulSet'], ['apps/v1', 'StatefulSetList'],
      ['apps/v1', 'ControllerRevision'], ['apps/v1', 'ControllerRevisionList'],
      ['autoscaling/v1', 'Scale'],
      ['autoscaling/v2', 'HorizontalPodAutoscaler'], ['autoscaling/v2', 'HorizontalPodAutoscalerList'],
      ['coordination.k8s.io/v1', 'Lease'], ['coordination.k8s.io/v1', 'LeaseList'],
      ['scheduling.k8s.io/v1', 'PriorityClass'], ['scheduling.k8s.io/v1', 'PriorityClassList'],
    ];
    for (const k of ['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding']) {
      want.push(['rbac.authorization.k8s.io/v1', k], ['rbac.authorization.k8s.io/v1', `${k}List`]);
    }
    for (const [apiVersion, kind] of want) {
      expect(findProtoKind(apiVersion, kind), `${apiVersion}/${kind}`).to.not.equal(undefined);
    }
    const pkg: Record<string, string> = {
      'autoscaling/v1': 'k8s.io.api.autoscaling.v1', 'autoscaling/v2': 'k8s.io.api.autoscaling.v2',
      'coordination.k8s.io/v1': 'k8s.io.api.coordination.v1', 'rbac.authorization.k8s.io/v1': 'k8s.io.api.rbac.v1',
      'scheduling.k8s.io/v1': 'k8s.io.api.scheduling.v1', 'apps/v1': 'k8s.io.api.apps.v1',
    };
    for (const k of protoKinds()) {
      if (pkg[k.apiVersion]) expect(k.message).to.equal(`${pkg[k.apiVersion]}.${k.kind}`);
    }
  });

  describe('round trips JSON → protobuf bytes → JSON', () => {
    it('keeps a StatefulSet with volumeClaimTemplates, an update strategy and a retention policy', () => {
      const sts: JsonObject = {
        apiVersion: 'apps/v1', kind: 'StatefulSet',
        metadata: { name: 'db', namespace: 'data', uid: 'u-sts', resourceVersion: '7', generation: 2, creationTimestamp: '2024-05-01T00:00:00Z' },
        spec: {
          replicas: 3, serviceName: 'db', podManagementPolicy: 'Parallel', revisionHistoryLimit: 10, minReadySeconds: 5,
          selector: { matchLabels: { app: 'db' } },
          template: {
            metadata: { labels: { app: 'db' } },
            spec: {
              containers: [{
                name: 'postgres', image: 'postgres:16',
                ports: [{ name: 'pg', containerPort: 5432, protocol: 'TCP' }],
                volumeMounts: [{ name: 'data', mountPath: '/var/lib/postgresql/data' }],
              }],
            },
          },
          volumeClaimTemplates: [{
            metadata: { name: 'data' },
            spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'standard', resources: { requests: { storage: '10Gi' } } },
          }],
          updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0, maxUnavailable: 1 } },
          persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Delete' },
          ordinals: { start: 0 },
        },
        status: {
          observedGeneration: 2, replicas: 3, readyReplicas: 3, currentReplicas: 3, updatedReplicas: 3, availableReplicas: 3,
          currentRevision: 'db-5d8c7', updateRevision: 'db-5d8c7', collisionCount: 0,
        },
      };
      expect(roundTrip(sts)).to.deep.equal(sts);
    });

    it('accepts apiVersion/kind on an embedded volumeClaimTemplate without reporting them unknown', () => {
      const unknownFields: string[] = [];
      const { kind, bytes } = encodeObject({
        apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db' },
        spec: { volumeClaimTemplates: [{ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data' } }] },
      }, { unknownFields });
      expect(unknownFields).to.deep.equal([]);
      expect(decodeObject(kind, bytes)).to.deep.equal({
        apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db' }, spec: { volumeClaimTemplates: [{ metadata: { name: 'data' } }] },
      });
    });

    it('keeps a DaemonSet with a rolling updateStrategy and tolerations', () => {
      const ds: JsonObject = {
        apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'node-exporter', namespace: 'monitoring', labels: { app: 'node-exporter' } },
        spec: {
          selector: { matchLabels: { app: 'node-exporter' } },
          template: {
            metadata: { labels: { app: 'node-exporter' } },
            spec: {
              hostNetwork: true, hostPID: true,
              tolerations: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }],
              containers: [{ name: 'exporter', image: 'prom/node-exporter:v1.8.0', args: ['--path.rootfs=/host'], volumeMounts: [{ name: 'root', mountPath: '/host', readOnly: true }] }],
              volumes: [{ name: 'root', hostPath: { path: '/', type: 'Directory' } }],
            },
          },
          updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '10%', maxSurge: 0 } },
          minReadySeconds: 10, revisionHistoryLimit: 5,
        },
        status: {
          currentNumberScheduled: 3, numberMisscheduled: 0, desiredNumberScheduled: 3, numberReady: 2,
          observedGeneration: 1, updatedNumberScheduled: 3, numberAvailable: 2, numberUnavailable: 1,
        },
      };
      expect(roundTrip(ds)).to.deep.equal(ds);
    });

    it('keeps a ControllerRevision with its raw data and revision', () => {
      const cr: JsonObject = {
        apiVersion: 'apps/v1', kind: 'ControllerRevision',
        metadata: { name: 'db-5d8c7', namespace: 'data', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db', uid: 'u-sts', controller: true, blockOwnerDeletion: true }] },
        data: { spec: { template: { $patch: 'replace', ...podTemplate('db', 'postgres:16') } } },
        revision: 1,
      };
      expect(roundTrip(cr)).to.deep.equal(cr);
    });

    it('keeps a ClusterRole with rules and an aggregationRule', () => {
      const role: JsonObject = {
        apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole',
        metadata: { name: 'monitoring', labels: { 'rbac.example.com/aggregate-to-monitoring': 'true' } },
        aggregationRule: { clusterRoleSelectors: [{ matchLabels: { 'rbac.example.com/aggregate-to-monitoring': 'true' } }] },
        rules: [
          { apiGroups: [''], resources: ['pods', 'services', 'endpoints'], verbs: ['get', 'list', 'watch'] },
          { apiGroups: ['apps'], resources: ['deployments'], resourceNames: ['web'], verbs: ['get'] },
          { nonResourceURLs: ['/metrics', '/healthz'], verbs: ['get'] },
        ],
      };
      expect(roundTrip(role)).to.deep.equal(role);
    });

    it('keeps a Role, a RoleBinding with subjects and roleRef, and a ClusterRoleBinding', () => {
      const role: JsonObject = {
        apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'pod-reader', namespace: 'default' },
        rules: [{ apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get', 'list'] }],
      };
      const binding: JsonObject = {
        apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'read-pods', namespace: 'default' },
        subjects: [
          { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'jane' },
          { kind: 'ServiceAccount', name: 'ci', namespace: 'tools' },
          { kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'devs' },
        ],
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' },
      };
      const crb: JsonObject = {
        apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'monitoring' },
        subjects: [{ kind: 'ServiceAccount', name: 'prometheus', namespace: 'monitoring' }],
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'monitoring' },
      };
      for (const json of [role, binding, crb]) expect(roundTrip(json), String(json.kind)).to.deep.equal(json);
    });

    it('keeps a RoleBindingList', () => {
      const list: JsonObject = {
        apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBindingList', metadata: { resourceVersion: '99' },
        items: [{ metadata: { name: 'a', namespace: 'default' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' } }],
      };
      expect(roundTrip(list)).to.deep.equal(list);
    });

    it('keeps an autoscaling/v2 HorizontalPodAutoscaler with a Resource metric, behavior and status', () => {
      const hpa: JsonObject = {
        apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'web', namespace: 'default' },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
          minReplicas: 2, maxReplicas: 10,
          metrics: [
            { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
            { type: 'Pods', pods: { metric: { name: 'requests_per_second' }, target: { type: 'AverageValue', averageValue: '1k' } } },
            {
              type: 'External',
              external: { metric: { name: 'queue_depth', selector: { matchLabels: { queue: 'jobs' } } }, target: { type: 'Value', value: '30' } },
            },
          ],
          behavior: {
            scaleDown: { stabilizationWindowSeconds: 300, selectPolicy: 'Min', policies: [{ type: 'Percent', value: 10, periodSeconds: 60 }] },
            scaleUp: {
              stabilizationWindowSeconds: 0, selectPolicy: 'Max',
              policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }, { type: 'Pods', value: 4, periodSeconds: 15 }],
            },
          },
        },
        status: {
          observedGeneration: 1, lastScaleTime: '2024-05-01T12:00:00Z', currentReplicas: 3, desiredReplicas: 4,
          currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageValue: '350m', averageUtilization: 87 } } }],
          conditions: [{ type: 'AbleToScale', status: 'True', lastTransitionTime: '2024-05-01T11:00:00Z', reason: 'SucceededRescale', message: 'ok' }],
        },
      };
      expect(roundTrip(hpa)).to.deep.equal(hpa);
    });

    it('keeps a Lease with microsecond acquire and renew times', () => {
      const lease: JsonObject = {
        apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'kube-scheduler', namespace: 'kube-system' },
        spec: {
          holderIdentity: 'node-1_6f1c', leaseDurationSeconds: 15, leaseTransitions: 0,
          acquireTime: '2024-05-01T12:00:00.000000Z', renewTime: '2024-05-01T12:00:07.123456Z',
        },
      };
      expect(roundTrip(lease)).to.deep.equal(lease);
    });

    it('keeps a PriorityClass with value, globalDefault and preemptionPolicy', () => {
      const pc: JsonObject = {
        apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'high-priority' },
        value: 1000000, globalDefault: true, description: 'Only for critical services.', preemptionPolicy: 'PreemptLowerPriority',
      };
      expect(roundTrip(pc)).to.deep.equal(pc);
      const zero: JsonObject = { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'zero' }, value: 0, globalDefault: false };
      expect(roundTrip(zero)).to.deep.equal({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'zero' }, value: 0 });
    });

    it('keeps a PersistentVolume with hostPath, capacity, claimRef and node affinity', () => {
      const pv: JsonObject = {
        apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pv-data-0', labels: { type: 'local' } },
        spec: {
          capacity: { storage: '10Gi' }, accessModes: ['ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Retain',
          storageClassName: 'manual', volumeMode: 'Filesystem', mountOptions: ['noatime'],
          hostPath: { path: '/mnt/data', type: 'DirectoryOrCreate' },
          claimRef: { kind: 'PersistentVolumeClaim', namespace: 'data', name: 'data-db-0', uid: 'u-pvc', apiVersion: 'v1', resourceVersion: '12' },
          nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['node-1'] }] }] } },
        },
        status: { phase: 'Bound', lastPhaseTransitionTime: '2024-05-01T00:00:00Z' },
      };
      expect(roundTrip(pv)).to.deep.equal(pv);
    });

    it('keeps PersistentVolumes backed by nfs, local and csi', () => {
      for (const source of [
        { nfs: { server: '10.0.0.2', path: '/exports', readOnly: true } },
        { local: { path: '/mnt/disks/ssd1', fsType: 'ext4' } },
        {
          csi: {
            driver: 'ebs.csi.aws.com', volumeHandle: 'vol-0abc', fsType: 'xfs', volumeAttributes: { type: 'gp3' },
            nodePublishSecretRef: { name: 'csi-secret', namespace: 'kube-system' },
          },
        },
      ]) {
        const pv: JsonObject = { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pv' }, spec: { capacity: { storage: '1Gi' }, ...source } };
        expect(roundTrip(pv), Object.keys(source)[0]).to.deep.equal(pv);
      }
    });

    it('keeps an autoscaling/v1 Scale (the scale subresource body)', () => {
      const scale: JsonObject = {
        apiVersion: 'autoscaling/v1', kind: 'Scale',
        metadata: { name: 'web', namespace: 'default', uid: 'u-web', resourceVersion: '42', creationTimestamp: '2024-05-01T12:30:45Z' },
        spec: { replicas: 5 },
        status: { replicas: 3, selector: 'app=web' },
      };
      expect(roundTrip(scale)).to.deep.equal(scale);
      // Scaled to zero: spec.replicas is omitempty, status.replicas is not.
      const zero: JsonObject = { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'web' }, spec: { replicas: 0 }, status: { replicas: 0 } };
      expect(roundTrip(zero)).to.deep.equal({ apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'web' }, spec: {}, status: { replicas: 0 } });
    });

    it('keeps the discovery documents, verbs as a plain list', () => {
      const resources: JsonObject = {
        apiVersion: 'v1', kind: 'APIResourceList', groupVersion: 'apps/v1',
        resources: [
          { name: 'deployments', singularName: 'deployment', namespaced: true, kind: 'Deployment', verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], shortNames: ['deploy'], categories: ['all'] },
          { name: 'deployments/scale', singularName: '', namespaced: true, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] },
        ],
      };
      const groups: JsonObject = {
        apiVersion: 'v1', kind: 'APIGroupList',
        groups: [{
          name: 'apps', versions: [{ groupVersion: 'apps/v1', version: 'v1' }], preferredVersion: { groupVersion: 'apps/v1', version: 'v1' },
          serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '10.0.0.1:6443' }],
        }],
      };
      const versions: JsonObject = { apiVersion: 'v1', kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '10.0.0.1:6443' }] };
      const group: JsonObject = { apiVersion: 'v1', kind: 'APIGroup', name: 'rbac.authorization.k8s.io', versions: [{ groupVersion: 'rbac.authorization.k8s.io/v1', version: 'v1' }] };
      for (const json of [resources, groups, versions, group]) expect(roundTrip(json), String(json.kind)).to.deep.equal(json);
    });
  });

  describe('WatchEvent', () => {
    const pod: JsonObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', namespace: 'default', resourceVersion: '8' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } };

    it('carries an object of a protobuf kind in the "k8s\\0" envelope, as Kubernetes watch streams do', () => {
      const event: JsonObject = { apiVersion: 'v1', kind: 'WatchEvent', type: 'ADDED', object: pod };
      const { kind, bytes } = encodeObject(event);
      const raw = WatchEvent.decode(bytes).object!.raw!;
      expect(hasMagic(raw)).to.equal(true);
      const unknown = Unknown.decode(raw.subarray(K8S_PROTOBUF_MAGIC.length));
      expect(unknown.typeMeta).to.deep.equal({ apiVersion: 'v1', kind: 'Pod' });
      expect(decodeObject(kind, bytes)).to.deep.equal(event);
    });

    it('keeps an object of a kind with no protobuf message as JSON', () => {
      const widget = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { size: 3 } };
      const event: JsonObject = { apiVersion: 'v1', kind: 'WatchEvent', type: 'MODIFIED', object: widget };
      const { kind, bytes } = encodeObject(event);
      expect(JSON.parse(Buffer.from(WatchEvent.decode(bytes).object!.raw!).toString('utf8'))).to.deep.equal(widget);
      expect(decodeObject(kind, bytes)).to.deep.equal(event);
    });

    it('names the path of a bad field inside the embedded object', () => {
      expect(() => encodeObject({ apiVersion: 'v1', kind: 'WatchEvent', type: 'ADDED', object: { ...pod, spec: { nodeName: 7 } } }))
        .to.throw(/object\.spec\.nodeName: expected a string/);
    });
  });

  describe('golden bytes use upstream field numbers', () => {
    it('Lease spec.renewTime is LeaseSpec field 4, a MicroTime {seconds=1, nanos=2000}', () => {
      const { bytes } = encodeObject({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', spec: { renewTime: '1970-01-01T00:00:01.000002Z' } });
      expect(hex(bytes)).to.equal('1207' + '2205' + '0801' + '10d00f');
    });
    it('PriorityClass value is field 2, preemptionPolicy field 5', () => {
      const { bytes } = encodeObject({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', value: 1, preemptionPolicy: 'Never' });
      expect(hex(bytes)).to.equal('1001' + '2a054e65766572');
    });
    it('RoleBinding roleRef is field 3 {apiGroup=1, kind=2, name=3}', () => {
      const { bytes } = encodeObject({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', roleRef: { apiGroup: '', kind: 'Role', name: 'r' } });
      expect(hex(bytes)).to.equal('1a0b' + '0a00' + '1204526f6c65' + '1a0172');
    });
    it('PersistentVolume hostPath is PersistentVolumeSource field 3 inside spec field 2', () => {
      const { bytes } = encodeObject({ apiVersion: 'v1', kind: 'PersistentVolume', spec: { hostPath: { path: '/d' } } });
      // spec(2) { persistentVolumeSource(2) { hostPath(3) { path(1)="/d" } } }
      expect(hex(bytes)).to.equal('1208' + '1206' + '1a04' + '0a022f64');
    });
    it('Scale spec.replicas is ScaleSpec field 1', () => {
      const { bytes } = encodeObject({ apiVersion: 'autoscaling/v1', kind: 'Scale', spec: { replicas: 2 } });
      expect(hex(bytes)).to.equal('1202' + '0802');
    });
  });
});
