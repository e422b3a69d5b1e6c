import { expect } from 'chai';
import type { KubeObject } from '../../../lib/api/object';
import { RESOURCES } from '../../../lib/api/resources';
import type { EndpointSlice } from '../../../lib/api/types/discovery';
import { ControllerRegistry } from '../../../lib/controller/controller-registry';
import { fakeControllerContext, type FakeControllerContext } from '../../../lib/controller/testing';
import { ENDPOINTSLICE_MIRRORING_CONTROLLER_NAME, endpointSliceMirroringControllerDescriptor } from '../endpointslicemirroring/endpointslicemirroring-controller';
import { ENDPOINTSLICE_CONTROLLER_NAME, endpointSliceControllerDescriptor } from './endpointslice-controller';

describe('endpointslice and endpointslicemirroring controllers (fake API, fake clock)', () => {
  let ctx: FakeControllerContext;
  let stop: () => Promise<void>;

  const pod = (name: string, ip: string, ready = true): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, labels: { app: 'web' } },
    spec: { nodeName: 'n1', hostname: name, subdomain: 'web', containers: [{ name: 'c', ports: [{ name: 'http', containerPort: 8080 }] }] },
    status: { phase: 'Running', podIP: ip, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  });
  const slicesOf = async (service: string, managedBy = 'endpointslice-controller.k8s.io') =>
    (await ctx.client.resource<EndpointSlice>(RESOURCES.endpointslices).list('default')).items.filter(
      (s) => s.metadata.labels?.['kubernetes.io/service-name'] === service && s.metadata.labels?.['endpointslice.kubernetes.io/managed-by'] === managedBy,
    );
  const settle = () => ctx.clock.advance(0);

  beforeEach(async () => {
    ctx = fakeControllerContext();
    ctx.client.seed({ kind: 'Service', metadata: { name: 'web', namespace: 'default', uid: 'svc-web', labels: { tier: 'front' } }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }] } });
    ctx.client.seed({ kind: 'Service', metadata: { name: 'manual', namespace: 'default', uid: 'svc-manual' }, spec: { ports: [{ port: 80 }] } });
    ctx.client.seed({ kind: 'Endpoints', metadata: { name: 'manual', namespace: 'default', uid: 'ep-manual' }, subsets: [{ addresses: [{ ip: '192.0.2.1' }], notReadyAddresses: [{ ip: '192.0.2.2' }], ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }] });
    ctx.client.seed(pod('web-1', '10.42.0.5'));
    const running = await new ControllerRegistry([endpointSliceControllerDescriptor, endpointSliceMirroringControllerDescriptor]).start(
      [ENDPOINTSLICE_CONTROLLER_NAME, ENDPOINTSLICE_MIRRORING_CONTROLLER_NAME],
      ctx,
    );
    stop = () => running.stop();
    await settle();
  });
  afterEach(() => stop());

  it('writes one labelled, owned IPv4 slice for a selecting Service with the resolved ports', async () => {
    const [slice, ...rest] = await slicesOf('web');
    expect(rest).to.deep.equal([]);
    expect(slice!.metadata.name).to.match(/^web-[a-z0-9]{5}$/);
    expect(slice!.metadata.labels).to.deep.equal({ tier: 'front', 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' });
    expect(slice!.metadata.ownerReferences).to.deep.equal([{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: ctx.client.peek('Service', 'default', 'web')!.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    expect(slice!.addressType).to.equal('IPv4');
    expect(slice!.ports).to.deep.equal([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    expect(slice!.endpoints).to.deep.equal([
      {
        addresses: ['10.42.0.5'],
        conditions: { ready: true, serving: true, terminating: false },
        hostname: 'web-1',
        targetRef: { kind: 'Pod', namespace: 'default', name: 'web-1', uid: ctx.client.peek('Pod', 'default', 'web-1')!.metadata.uid },
        nodeName: 'n1',
      },
    ]);
  });

  it('follows readiness, new pods and terminating pods (kept, not ready, serving as their readiness), writing nothing when nothing changed', async () => {
    const pods = ctx.client.resource(RESOURCES.pods);
    await pods.updateStatus('default', { ...ctx.client.peek('Pod', 'default', 'web-1')!, status: pod('web-1', '10.42.0.5', false).status });
    await pods.create('default', pod('web-2', '10.42.0.6'));
    await settle();
    const conditions = async () => Object.fromEntries((await slicesOf('web'))[0]!.endpoints!.map((e) => [e.addresses[0], e.conditions]));
    expect(await conditions()).to.deep.equal({
      '10.42.0.5': { ready: false, serving: false, terminating: false },
      '10.42.0.6': { ready: true, serving: true, terminating: false },
    });
    const version = (await slicesOf('web'))[0]!.metadata.resourceVersion;
    await ctx.client.resource(RESOURCES.services).update('default', { ...ctx.client.peek('Service', 'default', 'web')! });
    await settle();
    expect((await slicesOf('web'))[0]!.metadata.resourceVersion).to.equal(version);
    // A delete held by a finalizer marks the pod terminating: it stays listed, not ready, still serving.
    const held = pod('web-2', '10.42.0.6');
    await pods.update('default', { ...ctx.client.peek('Pod', 'default', 'web-2')!, metadata: { ...ctx.client.peek('Pod', 'default', 'web-2')!.metadata, finalizers: ['example.com/hold'] } });
    await pods.delete('default', 'web-2');
    await settle();
    expect(ctx.client.peek('Pod', 'default', 'web-2')?.metadata.deletionTimestamp, held.metadata.name).to.be.a('string');
    expect((await conditions())['10.42.0.6']).to.deep.equal({ ready: false, serving: true, terminating: true });
    await pods.delete('default', 'web-1', { gracePeriodSeconds: 0 });
    await settle();
    expect(Object.keys(await conditions())).to.deep.equal(['10.42.0.6']);
  });

  it('keeps an empty placeholder slice when no pod is selected, and deletes the slices with the Service', async () => {
    await ctx.client.resource(RESOURCES.pods).delete('default', 'web-1', { gracePeriodSeconds: 0 });
    await settle();
    const [placeholder, ...rest] = await slicesOf('web');
    expect(rest).to.deep.equal([]);
    expect([placeholder!.endpoints ?? [], placeholder!.ports ?? []]).to.deep.equal([[], []]);
    await ctx.client.resource(RESOURCES.services).delete('default', 'web');
    await settle();
    expect(await slicesOf('web')).to.deep.equal([]);
  });

  it('puts back a managed slice someone deleted', async () => {
    const [slice] = await slicesOf('web');
    await ctx.client.resource(RESOURCES.endpointslices).delete('default', slice!.metadata.name!);
    await settle();
    expect((await slicesOf('web')).map((s) => s.endpoints?.[0]?.addresses)).to.deep.equal([['10.42.0.5']]);
  });

  it('mirrors user-written Endpoints of a Service without a selector, owned by the Endpoints', async () => {
    expect(await slicesOf('manual')).to.deep.equal([]);
    const [slice, ...rest] = await slicesOf('manual', 'endpointslicemirroring-controller.k8s.io');
    expect(rest).to.deep.equal([]);
    expect(slice!.metadata.ownerReferences?.map((r) => [r.kind, r.name])).to.deep.equal([['Endpoints', 'manual']]);
    expect(slice!.ports).to.deep.equal([{ name: 'http', port: 80, protocol: 'TCP' }]);
    expect(slice!.endpoints).to.deep.equal([
      { addresses: ['192.0.2.1'], conditions: { ready: true } },
      { addresses: ['192.0.2.2'], conditions: { ready: false } },
    ]);
    await ctx.client.resource(RESOURCES.endpoints).delete('default', 'manual');
    await settle();
    expect(await slicesOf('manual', 'endpointslicemirroring-controller.k8s.io')).to.deep.equal([]);
  });
});
