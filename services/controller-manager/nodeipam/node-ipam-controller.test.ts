import { expect } from 'chai';
import { ApiError } from '../../../lib/api/errors';
import { RESOURCES } from '../../../lib/api/resources';
import type { Node } from '../../../lib/api/types/core';
import { FakeClock } from '../../../lib/client/fake-clock';
import { FakeApiClient } from '../../../lib/client/testing/fake-api-client';
import { ConfigError } from '../../../lib/config-error';
import { ControllerRegistry } from '../../../lib/controller/controller-registry';
import { fakeControllerContext, type FakeControllerContext } from '../../../lib/controller/testing';
import { NODE_IPAM_COMPONENT, nodeIpamControllerDescriptor, REASON_CIDR_NOT_AVAILABLE, type NodeIpamOptions } from './node-ipam-controller';

describe('node IPAM controller (fake API, fake clock)', () => {
  let clock: FakeClock;
  let api: FakeApiClient;
  let ctx: FakeControllerContext;
  let stop: (() => Promise<void>) | undefined;

  beforeEach(() => {
    clock = new FakeClock();
    api = new FakeApiClient(undefined, () => new Date(clock.now()));
    ctx = fakeControllerContext(api, clock);
  });
  afterEach(async () => {
    await stop?.();
    stop = undefined;
  });

  const start = async (options: Partial<NodeIpamOptions> = {}) => {
    const running = await new ControllerRegistry([nodeIpamControllerDescriptor(options)]).start(['nodeipam'], ctx);
    stop = () => running.stop();
    await settle();
  };
  const settle = async () => {
    for (let i = 0; i < 5; i++) await clock.advance(0);
  };
  const node = (name: string, podCIDR?: string): Node =>
    api.seed<Node>({ apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: podCIDR ? { podCIDR, podCIDRs: [podCIDR] } : {} });
  const specOf = (name: string) => api.peek<Node>('Node', undefined, name)?.spec;

  it('gives every Node without a pod range its own /24 in podCIDR and podCIDRs', async () => {
    node('a');
    node('b');
    await start();
    const a = specOf('a')!;
    const b = specOf('b')!;
    expect(a.podCIDRs).to.deep.equal([a.podCIDR]);
    expect(b.podCIDRs).to.deep.equal([b.podCIDR]);
    expect([a.podCIDR, b.podCIDR].sort()).to.deep.equal(['10.42.0.0/24', '10.42.1.0/24']);
    node('c');
    await settle();
    expect(specOf('c')?.podCIDR).to.equal('10.42.2.0/24');
    expect(api.callsOf('patch nodes')).to.have.length(3);
  });

  it('restores the map from existing Nodes at start: no subnet is handed out twice after a failover', async () => {
    node('old-1', '10.42.0.0/24');
    node('old-2', '10.42.1.0/24');
    node('new');
    await start();
    expect(specOf('new')?.podCIDR).to.equal('10.42.2.0/24');
    expect(specOf('old-1')?.podCIDR).to.equal('10.42.0.0/24');
  });

  it('releases the subnet of a deleted Node and gives it to a Node that found the range exhausted, with a CIDRNotAvailable Event', async () => {
    await start({ clusterCidr: '10.42.200.0/23', nodeCidrMaskSize: 24 });
    node('a');
    node('b');
    await settle();
    node('c');
    await settle();
    expect(specOf('c')?.podCIDR).to.equal(undefined);
    const events = ctx.events.filter((e) => e.reason === REASON_CIDR_NOT_AVAILABLE);
    expect(events[0]).to.include({ component: NODE_IPAM_COMPONENT, type: 'Normal', message: 'Node c status is now: CIDRNotAvailable' });
    const freed = specOf('a')!.podCIDR;
    await api.resource<Node>(RESOURCES.nodes).delete(undefined, 'a');
    await settle();
    expect(specOf('c')?.podCIDR).to.equal(freed);
  });

  it('retries a failed patch with the same subnet (nothing leaks)', async () => {
    node('a');
    api.failNext('patch', new ApiError(500, 'InternalError', 'boom'));
    await start();
    expect(specOf('a')?.podCIDR).to.equal(undefined);
    await clock.advance(1_000);
    await settle();
    expect(specOf('a')?.podCIDR).to.equal('10.42.0.0/24');
    node('b');
    await settle();
    expect(specOf('b')?.podCIDR).to.equal('10.42.1.0/24');
  });

  it('refuses bad --cluster-cidr / --node-cidr-mask-size values when the descriptor is made', () => {
    expect(() => nodeIpamControllerDescriptor({ clusterCidr: 'fd00::/64' })).to.throw(ConfigError, '--cluster-cidr');
    expect(() => nodeIpamControllerDescriptor({ nodeCidrMaskSize: 12 })).to.throw(ConfigError, '--node-cidr-mask-size');
  });
});
