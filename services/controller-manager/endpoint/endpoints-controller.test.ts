import { expect } from 'chai';
import type { KubeObject } from '../../../lib/api/object';
import { RESOURCES } from '../../../lib/api/resources';
import type { Endpoints } from '../../../lib/api/types/core';
import { ControllerRegistry } from '../../../lib/controller/controller-registry';
import { fakeControllerContext, type FakeControllerContext } from '../../../lib/controller/testing';
import { ENDPOINT_CONTROLLER_NAME, endpointControllerDescriptor } from './endpoints-controller';

describe('endpoint controller (fake API, fake clock)', () => {
  let ctx: FakeControllerContext;
  let stop: () => Promise<void>;

  const readyPod = (name: string, ip: string, ready = true): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app: 'web' } },
    spec: { nodeName: 'n1', containers: [{ name: 'c', ports: [{ name: 'http', containerPort: 8080 }] }] },
    status: { phase: 'Running', podIP: ip, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  });
  const endpoints = (name = 'web') => ctx.client.peek('Endpoints', 'default', name) as Endpoints | undefined;

  beforeEach(async () => {
    ctx = fakeControllerContext();
    ctx.client.seed({ kind: 'Service', metadata: { name: 'web', namespace: 'default', labels: { tier: 'front' } }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 'http', protocol: 'TCP' }] } });
    ctx.client.seed({ kind: 'Service', metadata: { name: 'manual', namespace: 'default' }, spec: { ports: [{ port: 80 }] } });
    ctx.client.seed({ kind: 'Endpoints', metadata: { name: 'manual', namespace: 'default' }, subsets: [{ addresses: [{ ip: '192.0.2.1' }], ports: [{ port: 80 }] }] });
    ctx.client.seed(readyPod('web-1', '10.42.0.5'));
    const running = await new ControllerRegistry([endpointControllerDescriptor]).start([ENDPOINT_CONTROLLER_NAME], ctx);
    stop = () => running.stop();
    await ctx.clock.advance(0);
  });
  afterEach(() => stop());

  it('writes the Endpoints of a selecting Service with its labels, and leaves user-written ones alone', () => {
    expect(endpoints()?.subsets).to.deep.equal([
      { addresses: [{ ip: '10.42.0.5', nodeName: 'n1', targetRef: endpoints()!.subsets![0]!.addresses![0]!.targetRef }], ports: [{ port: 8080, protocol: 'TCP' }] },
    ]);
    expect(endpoints()?.metadata.labels).to.deep.equal({ tier: 'front' });
    expect(endpoints('manual')?.subsets).to.deep.equal([{ addresses: [{ ip: '192.0.2.1' }], ports: [{ port: 80 }] }]);
  });

  it('follows pods becoming unready, new pods and pod deletion, and writes nothing when nothing changed', async () => {
    const pods = ctx.client.resource(RESOURCES.pods);
    await pods.updateStatus('default', { ...ctx.client.peek('Pod', 'default', 'web-1')!, status: readyPod('web-1', '10.42.0.5', false).status });
    await pods.create('default', readyPod('web-2', '10.42.0.6'));
    await ctx.clock.advance(0);
    expect(endpoints()?.subsets?.[0]?.notReadyAddresses?.map((a) => a.ip)).to.deep.equal(['10.42.0.5']);
    expect(endpoints()?.subsets?.[0]?.addresses?.map((a) => a.ip)).to.deep.equal(['10.42.0.6']);
    const version = endpoints()?.metadata.resourceVersion;
    await ctx.client.resource(RESOURCES.services).update('default', { ...ctx.client.peek('Service', 'default', 'web')! });
    await ctx.clock.advance(0);
    expect(endpoints()?.metadata.resourceVersion).to.equal(version);
    await pods.delete('default', 'web-1');
    await ctx.clock.advance(0);
    expect(endpoints()?.subsets?.[0]?.notReadyAddresses).to.equal(undefined);
  });

  it('deletes the Endpoints with the Service, and puts back Endpoints someone deleted', async () => {
    await ctx.client.resource(RESOURCES.endpoints).delete('default', 'web');
    await ctx.clock.advance(0);
    expect(endpoints()).to.not.equal(undefined);
    await ctx.client.resource(RESOURCES.services).delete('default', 'web');
    await ctx.clock.advance(0);
    expect(endpoints()).to.equal(undefined);
  });
});
