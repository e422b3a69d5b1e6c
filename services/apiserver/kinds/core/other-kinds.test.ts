import { expect } from 'chai';
import { coreStrategies } from './index';
import { endpointsStrategy } from './endpoints';
import { eventStrategy, type Event } from './event';
import { namespaceStrategy, type Namespace } from './namespace';
import { nodeStrategy, type Node } from './node';
import { persistentVolumeStrategy, type PersistentVolume } from './persistent-volume';
import { persistentVolumeClaimStrategy, type PersistentVolumeClaim, PVC_UPDATE_FORBIDDEN_MESSAGE } from './persistent-volume-claim';
import { clone, lines } from './test-helpers';

describe('core/v1 kinds: identity', () => {
  const expected: [string, string, boolean, string[], string[], boolean][] = [
    ['Namespace', 'namespaces', false, ['ns'], [], true],
    ['Node', 'nodes', false, ['no'], [], true],
    ['Pod', 'pods', true, ['po'], ['all'], true],
    ['Service', 'services', true, ['svc'], ['all'], true],
    ['Endpoints', 'endpoints', true, ['ep'], [], false],
    ['ConfigMap', 'configmaps', true, ['cm'], [], false],
    ['Secret', 'secrets', true, [], [], false],
    ['ServiceAccount', 'serviceaccounts', true, ['sa'], [], false],
    ['Event', 'events', true, ['ev'], [], false],
    ['PersistentVolume', 'persistentvolumes', false, ['pv'], [], true],
    ['PersistentVolumeClaim', 'persistentvolumeclaims', true, ['pvc'], [], true],
    ['ReplicationController', 'replicationcontrollers', true, ['rc'], ['all'], true],
    ['ResourceQuota', 'resourcequotas', true, ['quota'], [], true],
    ['LimitRange', 'limitranges', true, ['limits'], [], false],
  ];
  it('coreStrategies serves every core/v1 kind with group "", version v1, plural, singular, scope, short names, categories and status', () => {
    expect(
      coreStrategies.map((s) => [s.info.kind, s.info.resource, s.info.namespaced, s.info.shortNames, s.info.categories, s.hasStatus]),
    ).to.deep.equal(expected);
    for (const s of coreStrategies) {
      expect(s.info.group).to.equal('');
      expect(s.info.version).to.equal('v1');
      expect(s.info.singular).to.equal(s.info.kind.toLowerCase());
    }
  });
});

describe('core/v1 Namespace strategy', () => {
  it('creates Active with the kubernetes finalizer and the metadata.name label', () => {
    const ns: Namespace = { metadata: { name: 'team-a' }, status: { phase: 'Terminating' } };
    namespaceStrategy.prepareForCreate(ns);
    expect(ns).to.deep.equal({
      metadata: { name: 'team-a', labels: { 'kubernetes.io/metadata.name': 'team-a' } },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    });
    expect(namespaceStrategy.validate(ns)).to.deep.equal([]);
    expect(namespaceStrategy.selectableFields!(ns)).to.deep.equal({ 'status.phase': 'Active' });
  });
  it('requires a DNS-1123 label name (no dots)', () => {
    expect(lines(namespaceStrategy.validate({ metadata: { name: 'a.b' } }))).to.deep.equal([
      `metadata.name: Invalid value: "a.b": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
    ]);
  });
  it('plain updates keep spec.finalizers', () => {
    const old: Namespace = { metadata: { name: 'a' }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } };
    const next: Namespace = { metadata: { name: 'a', labels: { x: 'y' } }, spec: { finalizers: [] } };
    namespaceStrategy.prepareForUpdate(next, old);
    expect(next.spec).to.deep.equal({ finalizers: ['kubernetes'] });
    expect(next.metadata.labels).to.deep.equal({ x: 'y', 'kubernetes.io/metadata.name': 'a' });
    expect(namespaceStrategy.specChanged(next, old)).to.equal(false);
  });
});

describe('core/v1 Event strategy', () => {
  const ev = (extra: Partial<Event>): Event => ({ metadata: { name: 'web.1', namespace: 'default' }, ...extra });
  it('requires involvedObject and a matching namespace', () => {
    expect(lines(eventStrategy.validate(ev({ reason: 'Started' })))).to.deep.equal(['involvedObject: Required value']);
    expect(lines(eventStrategy.validate(ev({ involvedObject: { kind: 'Pod', name: 'web', namespace: 'other' } })))).to.deep.equal([
      'involvedObject.namespace: Invalid value: "other": does not match event.namespace',
    ]);
    expect(eventStrategy.validate(ev({ involvedObject: { kind: 'Node', name: 'n1' }, type: 'Normal' }))).to.deep.equal([]);
    expect(lines(eventStrategy.validate(ev({ involvedObject: { kind: 'Pod', name: 'web', namespace: 'default' }, type: 'Info', reason: 'r'.repeat(129) })))).to.deep.equal([
      'reason: Too long: must have at most 128 bytes',
      'type: Unsupported value: "Info": supported values: "Normal", "Warning"',
    ]);
  });
  it('selects by involvedObject fields, reason, source and type', () => {
    const e = ev({ involvedObject: { kind: 'Pod', name: 'web', namespace: 'default', uid: 'u1' }, reason: 'Pulled', source: { component: 'kubelet' }, type: 'Normal' });
    expect(eventStrategy.selectableFields!(e)).to.deep.include({
      'involvedObject.kind': 'Pod',
      'involvedObject.namespace': 'default',
      'involvedObject.name': 'web',
      'involvedObject.uid': 'u1',
      reason: 'Pulled',
      source: 'kubelet',
      type: 'Normal',
    });
  });
});

describe('core/v1 PersistentVolume and PersistentVolumeClaim strategies', () => {
  it('PV: capacity.storage and accessModes required; defaults', () => {
    const pv: PersistentVolume = { metadata: { name: 'pv1' }, spec: { hostPath: { path: '/data' } } };
    persistentVolumeStrategy.prepareForCreate(pv);
    expect(pv.spec).to.deep.equal({ hostPath: { path: '/data', type: '' }, persistentVolumeReclaimPolicy: 'Retain', volumeMode: 'Filesystem' });
    expect(pv.status).to.deep.equal({ phase: 'Pending' });
    expect(lines(persistentVolumeStrategy.validate(pv))).to.deep.equal(['spec.accessModes: Required value', 'spec.capacity: Required value']);
    pv.spec!.accessModes = ['ReadWriteSometimes'];
    pv.spec!.capacity = { storage: '10Gi' };
    expect(lines(persistentVolumeStrategy.validate(pv))).to.deep.equal([
      'spec.accessModes: Unsupported value: "ReadWriteSometimes": supported values: "ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"',
    ]);
    delete pv.spec!.hostPath;
    pv.spec!.accessModes = ['ReadWriteOnce'];
    expect(lines(persistentVolumeStrategy.validate(pv))).to.deep.equal(['spec: Required value: must specify a volume type']);
  });

  const claim = (): PersistentVolumeClaim => {
    const c: PersistentVolumeClaim = { metadata: { name: 'data', namespace: 'default' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } };
    persistentVolumeClaimStrategy.prepareForCreate(c);
    return c;
  };
  it('PVC: accessModes and storage request required', () => {
    const c: PersistentVolumeClaim = { metadata: { name: 'data', namespace: 'default' }, spec: {} };
    persistentVolumeClaimStrategy.prepareForCreate(c);
    expect(lines(persistentVolumeClaimStrategy.validate(c))).to.deep.equal(['spec.accessModes: Required value', 'spec.resources[storage]: Required value']);
    expect(claim().status).to.deep.equal({ phase: 'Pending' });
    expect(persistentVolumeClaimStrategy.validate(claim())).to.deep.equal([]);
  });
  it('PVC: binding sets volumeName once; a bound claim may only grow its storage request', () => {
    const unbound = claim();
    const bind = clone(unbound);
    bind.spec!.volumeName = 'pv1';
    expect(persistentVolumeClaimStrategy.validateUpdate(bind, unbound)).to.deep.equal([]);
    const grow = clone(bind);
    grow.spec!.resources!.requests!.storage = '2Gi';
    expect(persistentVolumeClaimStrategy.validateUpdate(grow, bind)).to.deep.equal([]);
    const shrink = clone(grow);
    shrink.spec!.resources!.requests!.storage = '1Gi';
    expect(lines(persistentVolumeClaimStrategy.validateUpdate(shrink, grow))).to.deep.equal([
      'spec.resources.requests.storage: Forbidden: field can not be less than previous value',
    ]);
    const modes = clone(bind);
    modes.spec!.accessModes = ['ReadWriteMany'];
    expect(lines(persistentVolumeClaimStrategy.validateUpdate(modes, bind))).to.deep.equal([`spec: Forbidden: ${PVC_UPDATE_FORBIDDEN_MESSAGE}`]);
    const growUnbound = clone(unbound);
    growUnbound.spec!.resources!.requests!.storage = '5Gi';
    expect(lines(persistentVolumeClaimStrategy.validateUpdate(growUnbound, unbound))).to.deep.equal([`spec: Forbidden: ${PVC_UPDATE_FORBIDDEN_MESSAGE}`]);
  });
});

describe('core/v1 Node and Endpoints strategies', () => {
  it('Node: taints need key and a supported effect; selectable spec.unschedulable', () => {
    const n = { metadata: { name: 'n1' }, spec: { unschedulable: true, taints: [{ key: 'k' }, { key: 'k2', effect: 'Sometimes' }] } };
    expect(lines(nodeStrategy.validate(n))).to.deep.equal([
      'spec.taints[0].effect: Required value',
      'spec.taints[1].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
    ]);
    expect(nodeStrategy.selectableFields!(n)).to.deep.equal({ 'spec.unschedulable': 'true' });
  });
  it('Node: allocatable defaults to capacity on create and on status writes; both are non-negative quantities', () => {
    const n: Node = { metadata: { name: 'n1' }, status: { capacity: { cpu: '4', memory: '8Gi' } } };
    nodeStrategy.prepareForCreate(n);
    expect(n.status!.allocatable).to.deep.equal({ cpu: '4', memory: '8Gi' });
    const next: Node = { ...n, status: { capacity: { cpu: '8' }, conditions: [{ type: 'Ready', status: 'True' }] } };
    nodeStrategy.prepareForStatusUpdate!(next, n);
    expect(next.status!.allocatable).to.deep.equal({ cpu: '8' });
    const kept: Node = { ...n, status: { capacity: { cpu: '8' }, allocatable: { cpu: '7500m' } } };
    nodeStrategy.prepareForStatusUpdate!(kept, n);
    expect(kept.status!.allocatable).to.deep.equal({ cpu: '7500m' });
    const bad: Node = { metadata: { name: 'n1' }, status: { capacity: { cpu: '-1' }, allocatable: { pods: 'many' } } };
    expect(lines(nodeStrategy.validate(bad))).to.deep.equal([
      'status.capacity[cpu]: Invalid value: "-1": must be greater than or equal to 0',
      `status.allocatable[pods]: Invalid value: "many": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
    ]);
  });
  it('Endpoints: IPs valid, ports defaulted to TCP and named when several', () => {
    const ep = { metadata: { name: 'web', namespace: 'default' }, subsets: [{ addresses: [{ ip: '10.1.0.5' }, { ip: 'nope' }], ports: [{ port: 80 }, { port: 0, name: 'b' }] }] };
    endpointsStrategy.prepareForCreate(ep);
    expect(ep.subsets[0]!.ports[0]).to.deep.equal({ port: 80, protocol: 'TCP' });
    expect(lines(endpointsStrategy.validate(ep))).to.deep.equal([
      'subsets[0].addresses[1].ip: Invalid value: "nope": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
      'subsets[0].ports[0].name: Required value',
      'subsets[0].ports[1].port: Invalid value: 0: must be between 1 and 65535, inclusive',
    ]);
  });
});

describe('core/v1 strategies on malformed input', () => {
  it('report non-object list elements and non-list fields instead of throwing', async () => {
    const { podStrategy } = await import('./pod');
    const { serviceStrategy } = await import('./service');
    const { configMapStrategy } = await import('./configmap');
    const pod = { metadata: { name: 'p', namespace: 'default' }, spec: { containers: [null, { name: 'a', image: 'a', ports: 'http', env: [5] }] } } as never;
    podStrategy.prepareForCreate(pod);
    expect(lines(podStrategy.validate(pod))).to.deep.equal([
      'spec.containers[0]: Invalid value: null: must be an object',
      'spec.containers[1].ports: Invalid value: "http": must be a list',
      'spec.containers[1].env[0]: Invalid value: 5: must be an object',
    ]);
    const svc = { metadata: { name: 's', namespace: 'default' }, spec: { ports: [null, { port: 80, name: 'a' }] } } as never;
    serviceStrategy.prepareForCreate(svc);
    expect(lines(serviceStrategy.validate(svc))).to.deep.equal(['spec.ports[0]: Invalid value: null: must be an object']);
    expect(lines(configMapStrategy.validate({ metadata: { name: 'c', namespace: 'default' }, data: 'x' as never }))).to.deep.equal([
      'data: Invalid value: "x": must be an object',
    ]);
  });
});
