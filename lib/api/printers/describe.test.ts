import { expect } from 'chai';
import type { KubeObject } from '../object';
import { describe as describeObject } from './describe';

// Fixtures (plain objects in Kubernetes' JSON shape).
/* eslint-disable */
const ev: any = [{ type: 'Normal', reason: 'Scheduled', message: 'Successfully assigned default/web-1 to node-a', source: { component: 'default-scheduler' }, firstTimestamp: '2024-05-01T11:58:00Z', lastTimestamp: '2024-05-01T11:58:00Z', count: 1, involvedObject: { kind: 'Pod', name: 'web-1' } },
 { type: 'Normal', reason: 'Pulled', message: 'Container image "nginx:1.25" already present on machine', source: { component: 'kubelet' }, firstTimestamp: '2024-05-01T11:58:01Z', lastTimestamp: '2024-05-01T11:58:30Z', count: 3, involvedObject: { kind: 'Pod', name: 'web-1', fieldPath: 'spec.containers{app}' } }];
const pod: any = { kind: 'Pod', metadata: { name: 'web-1', namespace: 'default', labels: { app: 'web', 'pod-template-hash': '7d4b9' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d4b9', uid: 'u', controller: true }] },
  spec: { nodeName: 'node-a', serviceAccountName: 'default', priority: 0, containers: [{ name: 'app', image: 'nginx:1.25', ports: [{ containerPort: 80, protocol: 'TCP' }], resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '250m', memory: '64Mi' } }, env: [{ name: 'MODE', value: 'prod' }, { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }], volumeMounts: [{ name: 'config', mountPath: '/etc/app', readOnly: true }] }], volumes: [{ name: 'config', configMap: { name: 'web-config' } }], tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }] },
  status: { phase: 'Running', hostIP: '192.168.1.10', podIP: '10.1.0.5', podIPs: [{ ip: '10.1.0.5' }], startTime: '2024-05-01T11:58:00Z', qosClass: 'Burstable', conditions: [{ type: 'Initialized', status: 'True' }, { type: 'Ready', status: 'True' }, { type: 'ContainersReady', status: 'True' }, { type: 'PodScheduled', status: 'True' }],
    containerStatuses: [{ name: 'app', ready: true, restartCount: 0, containerID: 'bosun://abc123', imageID: 'nginx@sha256:0123', state: { running: { startedAt: '2024-05-01T11:58:30Z' } } }] } };
const dep: any = { kind: 'Deployment', metadata: { name: 'web', namespace: 'default', creationTimestamp: '2024-05-01T11:00:00Z', labels: { app: 'web' }, annotations: { 'deployment.kubernetes.io/revision': '1' } },
  spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'nginx:1.25', ports: [{ containerPort: 80, protocol: 'TCP' }] }] } } },
  status: { replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3, conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' }, { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' }] } };
const svc: any = { kind: 'Service', metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } }, spec: { type: 'NodePort', selector: { app: 'web' }, clusterIP: '10.96.12.34', clusterIPs: ['10.96.12.34'], ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack', ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30080, protocol: 'TCP' }], sessionAffinity: 'None', externalTrafficPolicy: 'Cluster', internalTrafficPolicy: 'Cluster' } };
const eps: any = { kind: 'Endpoints', metadata: { name: 'web' }, subsets: [{ addresses: [{ ip: '10.1.0.5' }, { ip: '10.1.0.6' }], ports: [{ name: 'http', port: 8080 }] }] };
const sec: any = { kind: 'Secret', type: 'Opaque', metadata: { name: 'db', namespace: 'default' }, data: { password: 'c2VjcmV0LXZhbHVl', username: 'YWRtaW4=' } };
const cm: any = { kind: 'ConfigMap', metadata: { name: 'web-config', namespace: 'default' }, data: { 'app.conf': 'listen 80;\nroot /srv;', mode: 'prod' } };


const now = new Date('2024-05-01T12:00:00Z');

function lines(...ls: string[]): string {
  return ls.map((l) => l + '\n').join('');
}

describe('printers/describe', () => {
  it('pod golden', () => {
    expect(describeObject(pod, { now, events: ev })).to.equal(
      lines(
        "Name:             web-1",
        "Namespace:        default",
        "Priority:         0",
        "Service Account:  default",
        "Node:             node-a/192.168.1.10",
        "Start Time:       Wed, 01 May 2024 11:58:00 +0000",
        "Labels:           app=web",
        "                  pod-template-hash=7d4b9",
        "Annotations:      <none>",
        "Status:           Running",
        "IP:               10.1.0.5",
        "IPs:",
        "  IP:           10.1.0.5",
        "Controlled By:  ReplicaSet/web-7d4b9",
        "Containers:",
        "  app:",
        "    Container ID:   bosun://abc123",
        "    Image:          nginx:1.25",
        "    Image ID:       nginx@sha256:0123",
        "    Port:           80/TCP",
        "    Host Port:      0/TCP",
        "    State:          Running",
        "      Started:      Wed, 01 May 2024 11:58:30 +0000",
        "    Ready:          True",
        "    Restart Count:  0",
        "    Limits:",
        "      cpu:     500m",
        "      memory:  128Mi",
        "    Requests:",
        "      cpu:     250m",
        "      memory:  64Mi",
        "    Environment:",
        "      MODE:      prod",
        "      PASSWORD:  <set to the key 'password' in secret 'db'>  Optional: false",
        "    Mounts:",
        "      /etc/app from config (ro)",
        "Conditions:",
        "  Type              Status",
        "  Initialized       True ",
        "  Ready             True ",
        "  ContainersReady   True ",
        "  PodScheduled      True ",
        "Volumes:",
        "  config:",
        "    Type:        ConfigMap (a volume populated by a ConfigMap)",
        "    Name:        web-config",
        "    Optional:    false",
        "QoS Class:       Burstable",
        "Node-Selectors:  <none>",
        "Tolerations:     node.kubernetes.io/not-ready:NoExecute op=Exists for 300s",
        "Events:",
        "  Type    Reason     Age                 From               Message",
        "  ----    ------     ----                ----               -------",
        "  Normal  Scheduled  2m                  default-scheduler  Successfully assigned default/web-1 to node-a",
        "  Normal  Pulled     90s (x3 over 119s)  kubelet            spec.containers{app}: Container image \"nginx:1.25\" already present on machine",
      ),
    );
  });

  it('deployment golden', () => {
    expect(describeObject(dep, { now, events: [] })).to.equal(
      lines(
        "Name:                   web",
        "Namespace:              default",
        "CreationTimestamp:      Wed, 01 May 2024 11:00:00 +0000",
        "Labels:                 app=web",
        "Annotations:            deployment.kubernetes.io/revision: 1",
        "Selector:               app=web",
        "Replicas:               3 desired | 3 updated | 3 total | 3 available | 0 unavailable",
        "StrategyType:           RollingUpdate",
        "MinReadySeconds:        0",
        "RollingUpdateStrategy:  25% max unavailable, 25% max surge",
        "Pod Template:",
        "  Labels:  app=web",
        "  Containers:",
        "   app:",
        "    Image:         nginx:1.25",
        "    Port:          80/TCP",
        "    Host Port:     0/TCP",
        "    Environment:   <none>",
        "    Mounts:        <none>",
        "  Volumes:         <none>",
        "  Node-Selectors:  <none>",
        "  Tolerations:     <none>",
        "Conditions:",
        "  Type          Status  Reason",
        "  ----          ------  ------",
        "  Available     True    MinimumReplicasAvailable",
        "  Progressing   True    NewReplicaSetAvailable",
        "Events:         <none>",
      ),
    );
  });

  it('service golden', () => {
    expect(describeObject(svc, { now, events: [], endpoints: eps })).to.equal(
      lines(
        "Name:                     web",
        "Namespace:                default",
        "Labels:                   app=web",
        "Annotations:              <none>",
        "Selector:                 app=web",
        "Type:                     NodePort",
        "IP Family Policy:         SingleStack",
        "IP Families:              IPv4",
        "IP:                       10.96.12.34",
        "IPs:                      10.96.12.34",
        "Port:                     http  80/TCP",
        "TargetPort:               8080/TCP",
        "NodePort:                 http  30080/TCP",
        "Endpoints:                10.1.0.5:8080,10.1.0.6:8080",
        "Session Affinity:         None",
        "External Traffic Policy:  Cluster",
        "Internal Traffic Policy:  Cluster",
        "Events:                   <none>",
      ),
    );
  });

  it('secret golden', () => {
    expect(describeObject(sec, { now })).to.equal(
      lines(
        "Name:         db",
        "Namespace:    default",
        "Labels:       <none>",
        "Annotations:  <none>",
        "",
        "Type:  Opaque",
        "",
        "Data",
        "====",
        "password:  12 bytes",
        "username:  5 bytes",
      ),
    );
  });

  it('configmap golden', () => {
    expect(describeObject(cm, { now })).to.equal(
      lines(
        "Name:         web-config",
        "Namespace:    default",
        "Labels:       <none>",
        "Annotations:  <none>",
        "",
        "Data",
        "====",
        "app.conf:",
        "----",
        "listen 80;",
        "root /srv;",
        "",
        "mode:",
        "----",
        "prod",
        "",
        "",
        "BinaryData",
        "====",
        "",
      ),
    );
  });

  it('secret values are never printed', () => {
    expect(describeObject(sec, { now })).not.to.contain('c2VjcmV0');
    expect(describeObject(sec, { now })).not.to.contain('secret-value');
  });

  it('terminating pods show how long they have been terminating', () => {
    const p = { ...pod, metadata: { ...pod.metadata, deletionTimestamp: '2024-05-01T11:59:00Z', deletionGracePeriodSeconds: 30 } };
    const out = describeObject(p, { now });
    expect(out).to.contain('Status:                    Terminating (lasts 60s)\n');
    expect(out).to.contain('Termination Grace Period:  30s\n');
    expect(out).not.to.contain('Events:');
  });

  it('generic describe prints metadata then nested fields', () => {
    const lease = { kind: 'Lease', apiVersion: 'coordination.k8s.io/v1', metadata: { name: 'node-a', namespace: 'kube-node-lease', creationTimestamp: '2024-05-01T11:00:00Z' }, spec: { holderIdentity: 'node-a', leaseDurationSeconds: 40 } };
    expect(describeObject(lease, { now, events: [] })).to.equal(
      lines(
        'Name:               node-a',
        'Namespace:          kube-node-lease',
        'Labels:             <none>',
        'Annotations:        <none>',
        'API Version:        coordination.k8s.io/v1',
        'Kind:               Lease',
        'CreationTimestamp:  Wed, 01 May 2024 11:00:00 +0000',
        'Spec:',
        '  HolderIdentity:        node-a',
        '  LeaseDurationSeconds:  40',
        'Events:                  <none>',
      ),
    );
  });

  it('node, namespace, replica set and job describers run on realistic objects', () => {
    const node = { kind: 'Node', metadata: { name: 'node-a', creationTimestamp: '2024-05-01T11:00:00Z', labels: { 'node-role.kubernetes.io/control-plane': '' } }, spec: { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] }, status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: '2024-05-01T11:59:00Z', lastTransitionTime: '2024-05-01T11:00:00Z' }], addresses: [{ type: 'InternalIP', address: '192.168.1.10' }], capacity: { cpu: '4', memory: '8Gi' }, nodeInfo: { kubeletVersion: 'v1.32.0' } } };
    const n = describeObject(node, { now });
    expect(n).to.contain('Roles:              control-plane\n');
    expect(n).to.contain('Taints:             node-role.kubernetes.io/control-plane:NoSchedule\n');
    expect(n).to.contain('  Ready   True    Wed, 01 May 2024 11:59:00 +0000   Wed, 01 May 2024 11:00:00 +0000   KubeletReady   kubelet is posting ready status\n');
    expect(n).to.contain('  Kubelet Version:            v1.32.0\n');
    const ns = describeObject({ kind: 'Namespace', metadata: { name: 'dev' }, status: { phase: 'Active' } }, { now });
    expect(ns).to.equal(lines('Name:         dev', 'Labels:       <none>', 'Annotations:  <none>', 'Status:       Active', '', 'No resource quota.', '', 'No LimitRange resource.'));
    const rs = describeObject({ kind: 'ReplicaSet', metadata: { name: 'web-7d4b9', namespace: 'default' }, spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: dep.spec.template }, status: { replicas: 3, readyReplicas: 2 } }, { now });
    expect(rs).to.contain('Replicas:     3 current / 3 desired\n');
    const job = describeObject({ kind: 'Job', metadata: { name: 'pi', namespace: 'default' }, spec: { completions: 1, parallelism: 1, backoffLimit: 6, selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u1' } }, template: { spec: { containers: [{ name: 'pi', image: 'perl', command: ['perl', '-e', 'print 1'] }] } } }, status: { succeeded: 1, startTime: '2024-05-01T11:00:00Z', completionTime: '2024-05-01T11:00:42Z' } }, { now });
    expect(job).to.contain('Duration:       42s\n');
    expect(job).to.contain('Pods Statuses:  0 Active (0 Ready) / 1 Succeeded / 0 Failed\n');
    expect(job).to.contain('    Command:\n      perl\n      -e\n      print 1\n');
  });

  it('malformed objects never throw', () => {
    const bad: unknown[] = [null, 5, {}, { kind: 'Pod', metadata: null, spec: 5, status: { containerStatuses: 'x' } }, { kind: 'Deployment', metadata: {}, spec: { template: 'x', selector: { matchExpressions: [{ key: 'a', operator: 'Bogus' }] } } }, { kind: 'Service', metadata: {}, spec: { ports: [null, 1] } }, { kind: 'Node', metadata: {}, status: { addresses: 'x', capacity: { cpu: {} } } }, { kind: 'Secret', metadata: {}, data: { k: 5 } }, { kind: 'Job', metadata: {}, spec: null }];
    for (const b of bad) expect(() => describeObject(b as KubeObject, { now, events: [null as unknown as KubeObject] })).not.to.throw();
  });
});
