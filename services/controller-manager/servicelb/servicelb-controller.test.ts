import { expect } from 'chai';
import { RESOURCES } from '../../../lib/api/resources';
import type { Node, Service } from '../../../lib/api/types/core';
import { ControllerRegistry } from '../../../lib/controller/controller-registry';
import { fakeControllerContext, type FakeControllerContext } from '../../../lib/controller/testing';
import { SERVICE_LB_CONTROLLER_NAME, compareAddresses, nodeIngress, serviceLbControllerDescriptor } from './servicelb-controller';

const node = (name: string, ip: string, ready = true): Node => ({
  apiVersion: 'v1', kind: 'Node', metadata: { name },
  status: { addresses: [{ type: 'InternalIP', address: ip }, { type: 'Hostname', address: name }], conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
} as Node);
const service = (name: string, spec: Record<string, unknown>): Service => ({
  apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { ports: [{ port: 80 }], ...spec },
} as Service);

describe('service-lb-controller (k3s ServiceLB: status.loadBalancer from the Ready nodes)', () => {
  let ctx: FakeControllerContext;
  let stop: () => Promise<void>;
  const settle = () => ctx.clock.advance(0);
  const services = () => ctx.client.resource<Service>(RESOURCES.services);
  const ingressOf = (name: string) => (ctx.client.peek<Service>('Service', 'default', name)?.status?.loadBalancer as { ingress?: unknown[] } | undefined)?.ingress;
  const reasons = (name: string) => ctx.events.filter((e) => (e.subject as Service).metadata?.name === name).map((e) => e.reason);

  beforeEach(async () => {
    ctx = fakeControllerContext();
    ctx.client.seed(node('n2', '10.0.0.12'));
    ctx.client.seed(node('n1', '10.0.0.9'));
    ctx.client.seed(node('down', '10.0.0.3', false));
    ctx.client.seed(service('lb', { type: 'LoadBalancer' }));
    ctx.client.seed(service('plain', { type: 'ClusterIP' }));
    ctx.client.seed(service('other', { type: 'LoadBalancer', loadBalancerClass: 'example.com/lb' }));
    const running = await new ControllerRegistry([serviceLbControllerDescriptor]).start([SERVICE_LB_CONTROLLER_NAME], ctx);
    stop = () => running.stop();
    await settle();
  });
  afterEach(() => stop());

  it('sorts the Ready nodes\' InternalIPs numerically, one entry per address', () => {
    expect(nodeIngress([node('a', '10.0.0.12'), node('b', '10.0.0.9'), node('c', '10.0.0.9'), node('d', '1.2.3.4', false)])).to.deep.equal([{ ip: '10.0.0.9' }, { ip: '10.0.0.12' }]);
    expect(['fd00::1', '10.0.0.2', '9.0.0.1'].sort(compareAddresses)).to.deep.equal(['9.0.0.1', '10.0.0.2', 'fd00::1']);
  });

  it('writes the Ready nodes into status.loadBalancer.ingress of LoadBalancer Services without a class, with Events', async () => {
    expect(ingressOf('lb')).to.deep.equal([{ ip: '10.0.0.9' }, { ip: '10.0.0.12' }]);
    expect(reasons('lb')).to.deep.equal(['EnsuringLoadBalancer', 'EnsuredLoadBalancer']);
    expect(ingressOf('plain')).to.equal(undefined);
    expect(ingressOf('other')).to.equal(undefined);
    expect(reasons('other')).to.deep.equal([]);
  });

  it('follows node readiness, writing only when the set changes', async () => {
    const rv = ctx.client.peek<Service>('Service', 'default', 'lb')!.metadata.resourceVersion;
    const nodes = ctx.client.resource<Node>(RESOURCES.nodes);
    const n1 = ctx.client.peek<Node>('Node', undefined, 'n1')!;
    await nodes.updateStatus(undefined, { ...n1, status: { ...n1.status, nodeInfo: { heartbeat: 'x' } } } as Node);
    await settle();
    expect(ctx.client.peek<Service>('Service', 'default', 'lb')!.metadata.resourceVersion).to.equal(rv);
    const down = ctx.client.peek<Node>('Node', undefined, 'down')!;
    await nodes.updateStatus(undefined, { ...down, status: { ...down.status, conditions: [{ type: 'Ready', status: 'True' }] } } as Node);
    await settle();
    expect(ingressOf('lb')).to.deep.equal([{ ip: '10.0.0.3' }, { ip: '10.0.0.9' }, { ip: '10.0.0.12' }]);
    await nodes.delete(undefined, 'n2');
    await settle();
    expect(ingressOf('lb')).to.deep.equal([{ ip: '10.0.0.3' }, { ip: '10.0.0.9' }]);
  });

  it('clears the status when the Service stops being a LoadBalancer, and picks up a new one', async () => {
    const lb = ctx.client.peek<Service>('Service', 'default', 'lb')!;
    await services().update('default', { ...lb, spec: { ...lb.spec, type: 'ClusterIP' } });
    await settle();
    expect(ingressOf('lb')).to.equal(undefined);
    expect(reasons('lb')).to.include('DeletedLoadBalancer');
    const plain = ctx.client.peek<Service>('Service', 'default', 'plain')!;
    await services().update('default', { ...plain, spec: { ...plain.spec, type: 'LoadBalancer' } });
    await settle();
    expect(ingressOf('plain')).to.deep.equal([{ ip: '10.0.0.9' }, { ip: '10.0.0.12' }]);
  });

  it('warns while no node is Ready and leaves the Service pending', async () => {
    const nodes = ctx.client.resource<Node>(RESOURCES.nodes);
    for (const name of ['n1', 'n2']) await nodes.delete(undefined, name);
    await settle();
    expect(ingressOf('lb')).to.equal(undefined);
    expect(reasons('lb')).to.include('UnAvailableLoadBalancer');
  });
});
