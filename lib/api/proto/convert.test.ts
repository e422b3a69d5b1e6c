import { expect } from 'chai';
import { BadRequestError } from '../errors';
import { ObjectMeta } from '../../../gen/k8s/apimachinery/meta/v1/meta';
import { decodeObject, encodeObject, JsonObject, requireProtoKind, toProto } from './convert';

/** JSON → protobuf bytes → JSON. */
function roundTrip(json: JsonObject): JsonObject {
  const { kind, bytes } = encodeObject(json);
  return decodeObject(kind, bytes);
}
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

const deployment: JsonObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: 'web', namespace: 'default', uid: '6f1c0a7e-1111-4c3b-9d7e-000000000001', resourceVersion: '42', generation: 3,
    creationTimestamp: '2024-05-01T12:30:45Z',
    labels: { app: 'web', tier: 'frontend' },
    annotations: { 'deployment.kubernetes.io/revision': '1' },
  },
  spec: {
    replicas: 3,
    revisionHistoryLimit: 10,
    selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['frontend'] }] },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: 1 } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: [{
          name: 'nginx', image: 'nginx:1.27', imagePullPolicy: 'IfNotPresent',
          args: ['-g', 'daemon off;'],
          ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }],
          env: [
            { name: 'MODE', value: 'prod' },
            { name: 'POD_IP', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } } },
            { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password', optional: false } } },
          ],
          resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '256Mi' } },
          livenessProbe: { httpGet: { path: '/healthz', port: 'http', scheme: 'HTTP' }, initialDelaySeconds: 5, periodSeconds: 10 },
          readinessProbe: { tcpSocket: { port: 80 }, timeoutSeconds: 1, failureThreshold: 3 },
          volumeMounts: [{ name: 'conf', mountPath: '/etc/nginx/conf.d', readOnly: true }, { name: 'cache', mountPath: '/cache' }],
        }],
        volumes: [
          { name: 'conf', configMap: { name: 'nginx-conf', defaultMode: 420 } },
          { name: 'cache', emptyDir: {} },
          { name: 'tls', secret: { secretName: 'web-tls' } },
        ],
        restartPolicy: 'Always',
        terminationGracePeriodSeconds: 30,
      },
    },
  },
  status: {
    observedGeneration: 3, replicas: 3, readyReplicas: 2,
    conditions: [{ type: 'Available', status: 'True', lastUpdateTime: '2024-05-01T12:31:00Z', lastTransitionTime: '2024-05-01T12:31:00Z', reason: 'MinimumReplicasAvailable', message: 'ok' }],
  },
};

describe('proto/convert', () => {
  describe('round trips JSON → protobuf bytes → JSON', () => {
    it('keeps a realistic nginx Deployment unchanged', () => {
      expect(roundTrip(deployment)).to.deep.equal(deployment);
    });

    it('keeps replicas: 0 and other pointer zeros, drops omitempty zeros', () => {
      const json: JsonObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'z', generation: 0 }, spec: { replicas: 0, paused: false } };
      expect(roundTrip(json)).to.deep.equal({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'z' }, spec: { replicas: 0 } });
    });

    it('keeps a Secret with binary data as base64', () => {
      const secret: JsonObject = {
        apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db' }, type: 'Opaque',
        data: { password: Buffer.from('s3cr3t').toString('base64'), bin: Buffer.from([0, 255, 1]).toString('base64') },
        immutable: true,
      };
      expect(roundTrip(secret)).to.deep.equal(secret);
    });

    it('keeps a Service with numeric and named targetPorts', () => {
      const svc: JsonObject = {
        apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' },
        spec: {
          type: 'ClusterIP', selector: { app: 'web' }, clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'],
          ports: [
            { name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' },
            { name: 'admin', port: 9000, targetPort: 'admin', protocol: 'TCP' },
          ],
        },
        status: { loadBalancer: {} },
      };
      expect(roundTrip(svc)).to.deep.equal(svc);
    });

    it('keeps a Job and a CronJob', () => {
      const podSpec = { restartPolicy: 'Never', containers: [{ name: 'pi', image: 'perl:5.34', command: ['perl', '-Mbignum=bpi', '-wle', 'print bpi(2000)'] }] };
      const job: JsonObject = {
        apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'pi' },
        spec: { backoffLimit: 4, completions: 1, parallelism: 1, template: { spec: podSpec } },
        status: { startTime: '2024-05-01T00:00:00Z', active: 1 },
      };
      expect(roundTrip(job)).to.deep.equal(job);
      const cron: JsonObject = {
        apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'tick' },
        spec: { schedule: '*/5 * * * *', suspend: false, jobTemplate: { spec: { template: { spec: podSpec } } } },
      };
      expect(roundTrip(cron)).to.deep.equal(cron);
    });

    it('keeps an Event with MicroTime and an involvedObject', () => {
      const ev: JsonObject = {
        apiVersion: 'v1', kind: 'Event', metadata: { name: 'web.1', namespace: 'default' },
        involvedObject: { kind: 'Pod', namespace: 'default', name: 'web-1', uid: 'u1', apiVersion: 'v1' },
        reason: 'Scheduled', message: 'assigned', type: 'Normal', count: 1,
        firstTimestamp: '2024-05-01T00:00:00Z', eventTime: '2024-05-01T00:00:00.123456Z',
        source: { component: 'scheduler' }, reportingComponent: 'bosun-scheduler',
      };
      expect(roundTrip(ev)).to.deep.equal(ev);
    });

    it('keeps a ConfigMap, Namespace, ServiceAccount and a Pod with status', () => {
      for (const json of [
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { 'a.conf': 'x=1\n' } },
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } },
        { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sa' }, automountServiceAccountToken: false },
        {
          apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u', controller: true, blockOwnerDeletion: true }] },
          spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'busybox' }] },
          status: {
            phase: 'Running', podIP: '10.0.0.5', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2024-05-01T00:00:00Z' }],
            containerStatuses: [{ name: 'c', ready: true, restartCount: 0, image: 'busybox', imageID: '', state: { running: { startedAt: '2024-05-01T00:00:01Z' } }, started: true }],
          },
        },
      ] as JsonObject[]) {
        expect(roundTrip(json), String(json.kind)).to.deep.equal(json);
      }
    });
  });

  describe('golden bytes use upstream field numbers', () => {
    it('ObjectMeta{name:"a"} is 0a 01 61', () => {
      expect(hex(ObjectMeta.encode(ObjectMeta.fromPartial({ name: 'a' })).finish())).to.equal('0a0161');
    });
    it('ConfigMap data entries are field 2', () => {
      const { bytes } = encodeObject({ apiVersion: 'v1', kind: 'ConfigMap', data: { k: 'v' } });
      expect(hex(bytes)).to.equal('1206' + '0a016b' + '120176');
    });
    it('Pod spec is field 2 and PodSpec.nodeName is field 10', () => {
      const { bytes } = encodeObject({ apiVersion: 'v1', kind: 'Pod', spec: { nodeName: 'n' } });
      expect(hex(bytes)).to.equal('1203' + '52016e');
    });
    it('IntOrString is {type=1, intVal=2, strVal=3}', () => {
      const kind = requireProtoKind('v1', 'Service');
      const { bytes } = encodeObject({ apiVersion: 'v1', kind: 'Service', spec: { ports: [{ targetPort: 'x' }, { targetPort: 7 }] } });
      // spec(2) { ports(1) { targetPort(4) { type(1)=1, strVal(3)="x" } } , ports(1) { targetPort(4) { type=0, intVal(2)=7 } } }
      expect(hex(bytes)).to.equal('1211' + '0a07' + '2205' + '0801' + '1a0178' + '0a06' + '2204' + '0800' + '1007');
      expect(kind.kind).to.equal('Service');
    });
    it('Time is {seconds=1}: creationTimestamp is ObjectMeta field 8', () => {
      const bytes = ObjectMeta.encode(toProto(requireProtoKind('v1', 'ConfigMap'), { metadata: { creationTimestamp: '1970-01-01T00:00:01Z' } }).metadata as ObjectMeta).finish();
      expect(hex(bytes)).to.equal('42020801');
    });
  });

  describe('bad input', () => {
    it('names the path of a wrongly typed field', () => {
      expect(() => encodeObject({ apiVersion: 'apps/v1', kind: 'Deployment', spec: { replicas: 'three' } }))
        .to.throw(BadRequestError, /spec\.replicas: expected a 32-bit integer/);
      expect(() => encodeObject({ apiVersion: 'v1', kind: 'Pod', metadata: { creationTimestamp: 'yesterday' } }))
        .to.throw(BadRequestError, /metadata\.creationTimestamp: expected an RFC 3339 time/);
      expect(() => encodeObject({ apiVersion: 'v1', kind: 'Secret', data: { a: 'not base64!' } }))
        .to.throw(BadRequestError, /data\[a\]: expected base64/);
    });
    it('names an unknown apiVersion/kind', () => {
      expect(() => encodeObject({ apiVersion: 'foo/v9', kind: 'Widget' })).to.throw(BadRequestError, /apiVersion "foo\/v9", kind "Widget"/);
    });
    it('reports unknown fields when asked, ignores them otherwise', () => {
      const unknownFields: string[] = [];
      const { kind, bytes } = encodeObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', nmae: 'x' }, bogus: 1 }, { unknownFields });
      expect(unknownFields).to.deep.equal(['metadata.nmae', 'bogus']);
      expect(decodeObject(kind, bytes)).to.deep.equal({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } });
    });
    it('rejects garbage message bytes with a clear error', () => {
      expect(() => decodeObject(requireProtoKind('v1', 'Pod'), Buffer.from([0x0a, 0xff, 0xff, 0xff]))).to.throw(BadRequestError, /malformed protobuf v1\/Pod/);
    });
  });
});
