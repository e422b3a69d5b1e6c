import { expect } from 'chai';
import { Node } from '../../../gen/k8s/api/core/v1/node';
import { Pod } from '../../../gen/k8s/api/core/v1/pod';
import { Event } from '../../../gen/k8s/api/core/v1/event';
import { PATCH_INLINE_FIELDS } from '../patch/patch-meta';
import { decodeObject, encodeObject, isInline, type JsonObject } from './convert';
import { K8S_MESSAGE_FIELDS } from './schema';
import { fullEndpoints, fullEvent, fullLease, fullNode, fullPodSpec, fullPodStatus } from './test-objects';

/** JSON → protobuf bytes → JSON; the JSON must have no field the message lacks. */
function roundTrip(json: JsonObject): JsonObject {
  const unknownFields: string[] = [];
  const { kind, bytes } = encodeObject(json, { unknownFields });
  expect(unknownFields, `${String(json.kind)}: fields without a protobuf field`).to.deep.equal([]);
  return decodeObject(kind, bytes);
}

function bytesOf(json: JsonObject): Uint8Array {
  return encodeObject(json).bytes;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** A pod named `name` with the full spec (plus an ephemeral container) and status. */
function fullPod(name = 'web-1'): JsonObject {
  const spec = fullPodSpec();
  spec.ephemeralContainers = [{
    name: 'debugger', image: 'busybox:1.36', command: ['sh'], stdin: true, tty: true, targetContainerName: 'app',
    imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File',
  }];
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels: { app: 'web' } }, spec, status: fullPodStatus() };
}

/** A pod template carrying the full pod spec. */
function template(): JsonObject {
  return { metadata: { labels: { app: 'web' } }, spec: fullPodSpec() };
}

describe('proto/convert: Kubernetes\' complete Node, Pod and related messages', () => {
  describe('golden JSON round trips (JSON → protobuf → JSON is the identity)', () => {
    it('a Node with taints, config source, capacity, allocatable, conditions, addresses, images, nodeInfo, daemonEndpoints, runtime handlers and features', () => {
      const node = fullNode();
      expect(roundTrip(node)).to.deep.equal(node);
    });

    it('a Pod with affinity, tolerations, topology spread, overhead, gates, priority, claims, every common volume source, an ephemeral container and a full status', () => {
      const pod = fullPod();
      expect(roundTrip(pod)).to.deep.equal(pod);
    });

    it('a volume of each of the 30 sources of VolumeSource, inlined in the Volume as Kubernetes writes them', () => {
      const sources = K8S_MESSAGE_FIELDS['k8s.io.api.core.v1.VolumeSource']!.map(([name]) => name);
      expect(sources).to.have.length(30);
      const pod: JsonObject = {
        apiVersion: 'v1', kind: 'Pod', metadata: { name: 'all-volumes' },
        spec: { containers: [{ name: 'c', image: 'busybox' }], volumes: sources.map((s, i) => ({ name: `v${i}`, [s]: {} })) },
      };
      expect(roundTrip(pod)).to.deep.equal(pod);
      const some: JsonObject = {
        apiVersion: 'v1', kind: 'Pod', metadata: { name: 'some-volumes' },
        spec: {
          containers: [{ name: 'c', image: 'busybox' }],
          volumes: [
            { name: 'iscsi', iscsi: { targetPortal: '10.0.0.1:3260', iqn: 'iqn.2001-04.com.example:storage', lun: 0, iscsiInterface: 'default', fsType: 'ext4', chapAuthSession: true, secretRef: { name: 'chap' } } },
            { name: 'img', image: { reference: 'registry.example/data:v1', pullPolicy: 'IfNotPresent' } },
            { name: 'git', gitRepo: { repository: 'https://example.com/r.git', revision: 'main', directory: '.' } },
            { name: 'rbd', rbd: { monitors: ['10.0.0.2:6789'], image: 'img', pool: 'rbd', user: 'admin', keyring: '/etc/ceph/keyring' } },
          ],
        },
      };
      expect(roundTrip(some)).to.deep.equal(some);
    });

    it('a PersistentVolume with a source of its own, inlined in its spec', () => {
      for (const source of [
        { iscsi: { targetPortal: '10.0.0.1:3260', iqn: 'iqn.2001-04.com.example:storage', lun: 1, iscsiInterface: 'default' } },
        { csi: { driver: 'csi.example.com', volumeHandle: 'vol-1', fsType: 'ext4', volumeAttributes: { tier: 'fast' }, nodeStageSecretRef: { name: 's', namespace: 'kube-system' } } },
        { local: { path: '/mnt/disks/ssd1' } },
      ]) {
        const pv: JsonObject = {
          apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pv' },
          spec: { capacity: { storage: '10Gi' }, accessModes: ['ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Retain', volumeMode: 'Filesystem', ...source },
          status: { phase: 'Available' },
        };
        expect(roundTrip(pv)).to.deep.equal(pv);
      }
    });

    it('pod templates: PodTemplate, Deployment, ReplicaSet, DaemonSet, StatefulSet, Job and CronJob keep the whole pod spec', () => {
      const selector = { matchLabels: { app: 'web' } };
      for (const obj of [
        { apiVersion: 'v1', kind: 'PodTemplate', metadata: { name: 't' }, template: template() },
        { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { replicas: 2, selector, template: template() } },
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'r' }, spec: { replicas: 2, selector, template: template() } },
        { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'ds' }, spec: { selector, template: template() } },
        { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'ss' }, spec: { replicas: 1, selector, serviceName: 'web', template: template() } },
        { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, spec: { template: template() } },
        { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'cj' }, spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template: template() } } } },
      ] as JsonObject[]) {
        expect(roundTrip(obj), String(obj.kind)).to.deep.equal(obj);
      }
    });

    it('an Event with series, related, reportingComponent/Instance and eventTime; Endpoints; a Lease; a Binding', () => {
      const binding: JsonObject = { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'web-1', namespace: 'default' }, target: { apiVersion: 'v1', kind: 'Node', name: 'worker-1' } };
      for (const obj of [fullEvent(), fullEndpoints(), fullLease(), binding]) expect(roundTrip(obj), String(obj.kind)).to.deep.equal(obj);
    });
  });

  it('inlines exactly the fields Go embeds (upstream types.go), in every message of the field table', () => {
    const inlined: Record<string, string[]> = {};
    for (const [message, fields] of Object.entries(K8S_MESSAGE_FIELDS)) {
      const names = fields.filter(([name]) => isInline(message, name)).map(([name]) => name);
      if (names.length > 0) inlined[message] = names;
    }
    const upstream = Object.fromEntries(Object.entries(PATCH_INLINE_FIELDS).filter(([message]) => message in K8S_MESSAGE_FIELDS));
    expect(inlined).to.deep.equal(upstream);
  });

  describe('the bytes are Kubernetes\' messages', () => {
    it('NodeSpec.taints is field 5, Taint {key=1, value=2, effect=3}; NodeStatus.daemonEndpoints is field 6', () => {
      const taint = bytesOf({ apiVersion: 'v1', kind: 'Node', spec: { taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }] } });
      // spec(2) { taints(5) { key(1)="k" value(2)="v" effect(3)="NoSchedule" } }
      expect(hex(taint)).to.equal('1214' + '2a12' + '0a016b' + '120176' + '1a0a' + Buffer.from('NoSchedule').toString('hex'));
      const port = bytesOf({ apiVersion: 'v1', kind: 'Node', status: { daemonEndpoints: { kubeletEndpoint: { Port: 10250 } } } });
      // status(3) { daemonEndpoints(6) { kubeletEndpoint(1) { Port(1)=10250 } } }
      expect(hex(port)).to.equal('1a07' + '3205' + '0a03' + '088a50');
    });

    it('Volume.volumeSource is field 2 and VolumeSource.nfs field 7, although JSON inlines them', () => {
      const bytes = bytesOf({ apiVersion: 'v1', kind: 'Pod', spec: { volumes: [{ name: 'v', nfs: { server: 's', path: '/p' } }] } });
      // spec(2) { volumes(1) { name(1)="v" volumeSource(2) { nfs(7) { server(1)="s" path(2)="/p" } } } }
      expect(hex(bytes)).to.equal('1210' + '0a0e' + '0a0176' + '1209' + '3a07' + '0a0173' + '12022f70');
    });

    it('decodes into the generated Node, Pod and Event messages field by field', () => {
      const node = Node.decode(bytesOf(fullNode()));
      expect(node.spec!.taints[1]).to.deep.include({ key: 'dedicated', value: 'gpu', effect: 'NoExecute' });
      expect(node.status!.allocatable.cpu).to.deep.equal({ string: '3800m' });
      expect(node.status!.conditions.map((c) => c.type)).to.deep.equal(['MemoryPressure', 'DiskPressure', 'PIDPressure', 'Ready']);
      expect(node.status!.daemonEndpoints!.kubeletEndpoint!.Port).to.equal(10250);
      expect(node.status!.nodeInfo!.kubeletVersion).to.equal('v1.32.0');
      expect(node.status!.runtimeHandlers[1]!.features!.recursiveReadOnlyMounts).to.equal(true);
      expect(node.spec!.configSource!.configMap!.kubeletConfigKey).to.equal('kubelet');

      const pod = Pod.decode(bytesOf(fullPod()));
      const spec = pod.spec!;
      expect(spec.affinity!.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution!.nodeSelectorTerms[0]!.matchFields[0]!.key).to.equal('metadata.name');
      expect(spec.affinity!.podAntiAffinity!.requiredDuringSchedulingIgnoredDuringExecution[0]!.topologyKey).to.equal('kubernetes.io/hostname');
      expect(spec.tolerations[0]!.tolerationSeconds).to.equal(300);
      expect(spec.topologySpreadConstraints[0]!.minDomains).to.equal(2);
      expect(spec.overhead.memory).to.deep.equal({ string: '32Mi' });
      expect(spec.schedulingGates[0]!.name).to.equal('example.com/quota');
      expect(spec.priority).to.equal(1000);
      const byName = new Map(spec.volumes.map((v) => [v.name, v.volumeSource!]));
      expect(byName.get('shared')!.nfs!.server).to.equal('nfs.example.com');
      expect(byName.get('secrets-store')!.csi!.volumeAttributes).to.deep.equal({ secretProviderClass: 'app' });
      expect(byName.get('cache')!.ephemeral!.volumeClaimTemplate!.spec!.storageClassName).to.equal('fast');
      expect(spec.ephemeralContainers[0]!.ephemeralContainerCommon!.name).to.equal('debugger');
      expect(spec.ephemeralContainers[0]!.targetContainerName).to.equal('app');

      const event = Event.decode(bytesOf(fullEvent()));
      expect(event.series!.count).to.equal(2);
      expect(event.related!.kind).to.equal('Node');
      expect(event.reportingInstance).to.equal('worker-1');
      expect(event.eventTime).to.deep.equal({ seconds: 1714564800, nanos: 123456000 });
    });
  });
});
