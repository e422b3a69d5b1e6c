import { expect } from 'chai';
import type { KubeObject } from '../object';
import { podSummary, servicePorts } from './columns-core';
import { toTable } from './table';

const now = new Date('2024-05-01T12:00:00Z');
const created = '2024-05-01T11:00:00Z';

function pod(status: Record<string, unknown>, spec: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-1', namespace: 'default', creationTimestamp: created, ...metadata },
    spec: { containers: [{ name: 'app', image: 'nginx:1.25' }], ...spec },
    status,
  };
}

const running = { running: { startedAt: '2024-05-01T11:00:05Z' } };

describe('printers/table', () => {
  describe('pod STATUS, READY and RESTARTS', () => {
    it('Running', () => {
      const s = podSummary(pod({ phase: 'Running', containerStatuses: [{ name: 'app', ready: true, restartCount: 0, state: running }] }), now);
      expect(s).to.deep.equal({ ready: '1/1', status: 'Running', restarts: '0' });
    });

    it('Pending without container statuses', () => {
      expect(podSummary(pod({ phase: 'Pending' }), now)).to.deep.equal({ ready: '0/1', status: 'Pending', restarts: '0' });
    });

    it('ContainerCreating from the waiting reason', () => {
      const s = podSummary(pod({ phase: 'Pending', containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }] }), now);
      expect(s.status).to.equal('ContainerCreating');
    });

    it('CrashLoopBackOff with restarts and the time of the last one', () => {
      const s = podSummary(
        pod({
          phase: 'Running',
          containerStatuses: [
            {
              name: 'app',
              ready: false,
              restartCount: 5,
              state: { waiting: { reason: 'CrashLoopBackOff' } },
              lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: '2024-05-01T11:55:00Z' } },
            },
          ],
        }),
        now,
      );
      expect(s).to.deep.equal({ ready: '0/1', status: 'CrashLoopBackOff', restarts: '5 (5m ago)' });
    });

    it('Completed', () => {
      const s = podSummary(pod({ phase: 'Succeeded', containerStatuses: [{ name: 'app', ready: false, state: { terminated: { exitCode: 0, reason: 'Completed' } } }] }), now);
      expect(s.status).to.equal('Completed');
      expect(s.ready).to.equal('0/1');
    });

    it('ExitCode and Signal when the terminated reason is empty', () => {
      expect(podSummary(pod({ phase: 'Failed', containerStatuses: [{ name: 'app', state: { terminated: { exitCode: 137 } } }] }), now).status).to.equal('ExitCode:137');
      expect(podSummary(pod({ phase: 'Failed', containerStatuses: [{ name: 'app', state: { terminated: { exitCode: 0, signal: 9 } } }] }), now).status).to.equal('Signal:9');
    });

    it('Terminating while deletionTimestamp is set, unless the phase is terminal', () => {
      const status = { phase: 'Running', containerStatuses: [{ name: 'app', ready: true, state: running }] };
      expect(podSummary(pod(status, {}, { deletionTimestamp: '2024-05-01T11:59:00Z' }), now).status).to.equal('Terminating');
      expect(podSummary(pod({ phase: 'Succeeded' }, {}, { deletionTimestamp: '2024-05-01T11:59:00Z' }), now).status).to.equal('Succeeded');
      expect(podSummary(pod({ phase: 'Running', reason: 'NodeLost' }, {}, { deletionTimestamp: '2024-05-01T11:59:00Z' }), now).status).to.equal('Unknown');
    });

    it('Init:1/2 while the second init container runs', () => {
      const s = podSummary(
        pod(
          {
            phase: 'Pending',
            initContainerStatuses: [
              { name: 'a', state: { terminated: { exitCode: 0, reason: 'Completed' } } },
              { name: 'b', state: running },
            ],
            containerStatuses: [{ name: 'app', state: { waiting: { reason: 'PodInitializing' } } }],
          },
          { initContainers: [{ name: 'a' }, { name: 'b' }] },
        ),
        now,
      );
      expect(s.status).to.equal('Init:1/2');
    });

    it('Init:CrashLoopBackOff and Init:Error', () => {
      const spec = { initContainers: [{ name: 'a' }] };
      expect(podSummary(pod({ phase: 'Pending', initContainerStatuses: [{ name: 'a', state: { waiting: { reason: 'CrashLoopBackOff' } } }] }, spec), now).status).to.equal('Init:CrashLoopBackOff');
      expect(podSummary(pod({ phase: 'Pending', initContainerStatuses: [{ name: 'a', state: { terminated: { exitCode: 1, reason: 'Error' } } }] }, spec), now).status).to.equal('Init:Error');
    });

    it('sidecar (restartable init) containers count towards READY', () => {
      const s = podSummary(
        pod(
          {
            phase: 'Running',
            conditions: [{ type: 'Initialized', status: 'True' }],
            initContainerStatuses: [{ name: 'proxy', started: true, ready: true, restartCount: 1, state: running }],
            containerStatuses: [{ name: 'app', ready: true, restartCount: 0, state: running }],
          },
          { initContainers: [{ name: 'proxy', restartPolicy: 'Always' }] },
        ),
        now,
      );
      expect(s).to.deep.equal({ ready: '2/2', status: 'Running', restarts: '1' });
    });

    it('SchedulingGated', () => {
      expect(podSummary(pod({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] }), now).status).to.equal('SchedulingGated');
    });

    it('a malformed pod does not throw', () => {
      const bad = { kind: 'Pod', metadata: {}, spec: { containers: 'nope' }, status: { containerStatuses: [null, 3, { state: 'x' }] } } as unknown as KubeObject;
      expect(() => podSummary(bad, now)).not.to.throw();
      const t = toTable([bad, { kind: 'Pod' } as unknown as KubeObject], { now });
      expect(t.rows).to.have.length(2);
      expect(t.rows[1].cells[4]).to.equal('<unknown>');
    });
  });

  it('pod Table: columns, wide cells and the row object', () => {
    const p = pod(
      { phase: 'Running', podIP: '10.1.0.5', podIPs: [{ ip: '10.1.0.5' }], containerStatuses: [{ name: 'app', ready: true, state: running }] },
      { nodeName: 'node-a' },
    );
    const t = toTable([p], { now, resourceVersion: '42' });
    expect(t.kind).to.equal('Table');
    expect(t.apiVersion).to.equal('meta.k8s.io/v1');
    expect(t.metadata).to.deep.equal({ resourceVersion: '42' });
    expect(t.columnDefinitions.map((c) => [c.name, c.type, c.priority])).to.deep.equal([
      ['Name', 'string', 0],
      ['Ready', 'string', 0],
      ['Status', 'string', 0],
      ['Restarts', 'string', 0],
      ['Age', 'string', 0],
      ['IP', 'string', 1],
      ['Node', 'string', 1],
      ['Nominated Node', 'string', 1],
      ['Readiness Gates', 'string', 1],
    ]);
    expect(t.columnDefinitions[0].format).to.equal('name');
    expect(t.rows[0].cells).to.deep.equal(['web-1', '1/1', 'Running', '0', '60m', '10.1.0.5', 'node-a', '<none>', '<none>']);
    expect(t.rows[0].object).to.deep.equal({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: p.metadata });
    expect(toTable([p], { now, includeObject: 'Object' }).rows[0].object).to.equal(p);
    expect(toTable([p], { now, includeObject: 'None' }).rows[0]).not.to.have.property('object');
  });

  it('service PORT(S), TYPE, CLUSTER-IP and EXTERNAL-IP', () => {
    const svc = (spec: Record<string, unknown>, status: Record<string, unknown> = {}): KubeObject => ({
      kind: 'Service',
      metadata: { name: 'web', creationTimestamp: created },
      spec,
      status,
    });
    expect(servicePorts(svc({ ports: [{ port: 80, protocol: 'TCP' }] }))).to.equal('80/TCP');
    expect(servicePorts(svc({ ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }] }))).to.equal('80:30080/TCP,53/UDP');
    const cells = (s: KubeObject) => toTable([s], { now }).rows[0].cells;
    expect(cells(svc({ type: 'ClusterIP', clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], ports: [{ port: 80, protocol: 'TCP' }], selector: { app: 'web' } }))).to.deep.equal([
      'web', 'ClusterIP', '10.96.0.10', '<none>', '80/TCP', '60m', 'app=web',
    ]);
    expect(cells(svc({ type: 'LoadBalancer', clusterIPs: ['10.96.0.11'], ports: [] }))[3]).to.equal('<pending>');
    expect(cells(svc({ type: 'LoadBalancer', clusterIPs: ['10.96.0.11'] }, { loadBalancer: { ingress: [{ ip: '203.0.113.7' }] } }))[3]).to.equal('203.0.113.7');
    // Server-side tables are wide (Kubernetes' TableConvertor): a long LB list is not cut at 16 characters.
    expect(cells(svc({ type: 'LoadBalancer', clusterIPs: ['10.96.0.11'] }, { loadBalancer: { ingress: [{ ip: '192.168.0.12' }, { ip: '192.168.0.11' }] } }))[3]).to.equal('192.168.0.11,192.168.0.12');
    expect(cells(svc({ type: 'ExternalName', externalName: 'db.example.com' }))[2]).to.equal('<none>');
    expect(cells(svc({ type: 'ExternalName', externalName: 'db.example.com' }))[3]).to.equal('db.example.com');
    expect(cells(svc({ type: 'ClusterIP' }))[4]).to.equal('<none>');
  });

  it('deployment READY n/m, UP-TO-DATE, AVAILABLE and wide cells', () => {
    const d: KubeObject = {
      kind: 'Deployment',
      metadata: { name: 'web', creationTimestamp: '2024-04-28T12:00:00Z' },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web' } },
        template: { spec: { containers: [{ name: 'app', image: 'nginx:1.25' }, { name: 'log', image: 'busybox' }] } },
      },
      status: { replicas: 3, readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
    };
    expect(toTable([d], { now }).rows[0].cells).to.deep.equal(['web', '2/3', 3, 2, '3d', 'app,log', 'nginx:1.25,busybox', 'app=web']);
  });

  it('endpoints are cut after three with "+ N more..."', () => {
    const ep: KubeObject = {
      kind: 'Endpoints',
      metadata: { name: 'web', creationTimestamp: created },
      subsets: [{ addresses: [{ ip: '10.1.0.1' }, { ip: '10.1.0.2' }, { ip: '10.1.0.3' }, { ip: '10.1.0.4' }, { ip: '10.1.0.5' }], ports: [{ port: 8080 }] }],
    };
    expect(toTable([ep], { now }).rows[0].cells[1]).to.equal('10.1.0.1:8080,10.1.0.2:8080,10.1.0.3:8080 + 2 more...');
    expect(toTable([{ ...ep, subsets: [] }], { now }).rows[0].cells[1]).to.equal('<none>');
  });

  it('node STATUS, ROLES and wide addresses', () => {
    const n: KubeObject = {
      kind: 'Node',
      metadata: { name: 'node-a', creationTimestamp: created, labels: { 'node-role.kubernetes.io/control-plane': '', 'kubernetes.io/role': 'master' } },
      spec: { unschedulable: true },
      status: {
        conditions: [{ type: 'Ready', status: 'True' }],
        addresses: [{ type: 'InternalIP', address: '192.168.1.10' }],
        nodeInfo: { kubeletVersion: 'v1.32.0', osImage: 'Ubuntu 24.04', kernelVersion: '6.8.0', containerRuntimeVersion: 'containerd://1.7.0' },
      },
    };
    expect(toTable([n], { now }).rows[0].cells).to.deep.equal([
      'node-a', 'Ready,SchedulingDisabled', 'control-plane,master', '60m', 'v1.32.0', '192.168.1.10', '<none>', 'Ubuntu 24.04', '6.8.0', 'containerd://1.7.0',
    ]);
    const bare = toTable([{ kind: 'Node', metadata: { name: 'n' }, status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } }], { now }).rows[0].cells;
    expect(bare.slice(0, 3)).to.deep.equal(['n', 'NotReady', '<none>']);
    expect(toTable([{ kind: 'Node', metadata: { name: 'n' } }], { now }).rows[0].cells[1]).to.equal('Unknown');
  });

  it('job STATUS, COMPLETIONS and DURATION; cronjob columns', () => {
    const job: KubeObject = {
      kind: 'Job',
      metadata: { name: 'pi', creationTimestamp: created },
      spec: { completions: 1, template: { spec: { containers: [{ name: 'pi', image: 'perl' }] } } },
      status: { succeeded: 1, startTime: '2024-05-01T11:00:00Z', completionTime: '2024-05-01T11:00:42Z', conditions: [{ type: 'Complete', status: 'True' }] },
    };
    expect(toTable([job], { now }).columnDefinitions.filter((c) => c.priority === 0).map((c) => c.name)).to.deep.equal(['Name', 'Status', 'Completions', 'Duration', 'Age']);
    expect(toTable([job], { now }).rows[0].cells.slice(0, 5)).to.deep.equal(['pi', 'Complete', '1/1', '42s', '60m']);
    const runningJob = { ...job, spec: { parallelism: 3 }, status: { startTime: '2024-05-01T11:57:00Z' } };
    expect(toTable([runningJob], { now }).rows[0].cells.slice(1, 4)).to.deep.equal(['Running', '0/1 of 3', '3m']);
    const cj: KubeObject = {
      kind: 'CronJob',
      metadata: { name: 'nightly', creationTimestamp: created },
      spec: { schedule: '0 2 * * *', suspend: false, jobTemplate: { spec: { template: { spec: { containers: [] } } } } },
      status: { active: [{ name: 'nightly-1' }], lastScheduleTime: '2024-05-01T11:58:00Z' },
    };
    expect(toTable([cj], { now }).rows[0].cells.slice(0, 7)).to.deep.equal(['nightly', '0 2 * * *', '<none>', 'False', 1, '2m', '60m']);
  });

  it('other kinds: HPA, bindings, roles, priority classes, leases and unknown kinds', () => {
    const hpa: KubeObject = {
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'web', creationTimestamp: created },
      spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: 5, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }] },
      status: { currentReplicas: 2, currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 40 } } }] },
    };
    expect(toTable([hpa], { now }).rows[0].cells).to.deep.equal(['web', 'Deployment/web', 'cpu: 40%/80%', '1', 5, 2, '60m']);
    expect(toTable([{ ...hpa, status: {} }], { now }).rows[0].cells[2]).to.equal('cpu: <unknown>/80%');
    const rb: KubeObject = {
      kind: 'RoleBinding',
      metadata: { name: 'read', creationTimestamp: created },
      roleRef: { kind: 'ClusterRole', name: 'view' },
      subjects: [{ kind: 'User', name: 'jane' }, { kind: 'ServiceAccount', name: 'ci', namespace: 'tools' }, { kind: 'Group', name: 'devs' }],
    };
    expect(toTable([rb], { now }).rows[0].cells).to.deep.equal(['read', 'ClusterRole/view', '60m', 'jane', 'devs', 'tools/ci']);
    const role = toTable([{ kind: 'ClusterRole', metadata: { name: 'view', creationTimestamp: '2024-05-01T11:00:00.000Z' } }], { now });
    expect(role.columnDefinitions.map((c) => c.name)).to.deep.equal(['Name', 'Created At']);
    expect(role.rows[0].cells).to.deep.equal(['view', '2024-05-01T11:00:00Z']);
    const pc = toTable([{ kind: 'PriorityClass', metadata: { name: 'high', creationTimestamp: created }, value: 1000, preemptionPolicy: 'PreemptLowerPriority' }], { now });
    expect(pc.rows[0].cells).to.deep.equal(['high', 1000, false, '60m', 'PreemptLowerPriority']);
    const lease = toTable([{ kind: 'Lease', metadata: { name: 'node-a', creationTimestamp: created }, spec: { holderIdentity: 'node-a' } }], { now });
    expect(lease.rows[0].cells).to.deep.equal(['node-a', 'node-a', '60m']);
    const widget = toTable([{ kind: 'Widget', metadata: { name: 'w', creationTimestamp: created } }], { now });
    expect(widget.columnDefinitions.map((c) => c.name)).to.deep.equal(['Name', 'Age']);
    expect(widget.rows[0].cells).to.deep.equal(['w', '60m']);
  });

  it('config maps, secrets, service accounts, namespaces and events', () => {
    const cells = (o: Record<string, unknown>) => toTable([{ metadata: { name: 'x', creationTimestamp: created }, ...o } as KubeObject], { now }).rows[0].cells;
    expect(cells({ kind: 'ConfigMap', data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } })).to.deep.equal(['x', 3, '60m']);
    expect(cells({ kind: 'Secret', type: 'kubernetes.io/tls', data: { 'tls.crt': 'eA==', 'tls.key': 'eA==' } })).to.deep.equal(['x', 'kubernetes.io/tls', 2, '60m']);
    expect(cells({ kind: 'ServiceAccount', secrets: [] })).to.deep.equal(['x', 0, '60m']);
    expect(cells({ kind: 'Namespace', status: { phase: 'Active' } })).to.deep.equal(['x', 'Active', '60m']);
    expect(
      cells({
        kind: 'Event',
        type: 'Warning',
        reason: 'BackOff',
        message: 'Back-off restarting failed container\n',
        involvedObject: { kind: 'Pod', name: 'web-1', fieldPath: 'spec.containers{app}' },
        source: { component: 'kubelet', host: 'node-a' },
        firstTimestamp: '2024-05-01T11:50:00Z',
        lastTimestamp: '2024-05-01T11:58:00Z',
        count: 7,
      }),
    ).to.deep.equal(['2m', 'Warning', 'BackOff', 'pod/web-1', 'spec.containers{app}', 'kubelet, node-a', 'Back-off restarting failed container', '10m', 7, 'x']);
  });
});
