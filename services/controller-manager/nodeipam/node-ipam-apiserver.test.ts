import { expect } from 'chai';
import pino from 'pino';
import { RESOURCES } from '../../../lib/api/resources';
import type { Node } from '../../../lib/api/types/core';
import { realClock } from '../../../lib/client/clock';
import type { ControllerContext } from '../../../lib/controller/controller-context';
import { ControllerRegistry, type RunningControllers } from '../../../lib/controller/controller-registry';
import { SharedInformerFactory } from '../../../lib/controller/informer-factory';
import { fakeControllerContext } from '../../../lib/controller/testing';
import { eventually } from '../../apiserver/registry/test-support';
import { TwoDoorApiServer } from '../../apiserver/test-api-server';
import { nodeIpamControllerDescriptor } from './node-ipam-controller';

/** Node IPAM through a real apiserver (gRPC door, the Node strategy's podCIDR rules, real watches). */
describe('node IPAM controller against a real apiserver', function () {
  this.timeout(90_000);
  let t: TwoDoorApiServer;
  const terms: { ctx: ControllerContext; running: RunningControllers }[] = [];

  before(async () => {
    t = await TwoDoorApiServer.start('bosun-nodeipam-');
  });
  after(async () => {
    for (const term of terms) await term.running.stop();
    await t?.stop();
  });

  /** One leadership term: a fresh informer factory and controller, as the controller-manager makes. */
  const lead = async () => {
    const logger = pino({ level: 'silent' });
    const ctx: ControllerContext = {
      client: t.grpc,
      informers: new SharedInformerFactory({ client: t.grpc, logger }),
      recorder: fakeControllerContext().recorder,
      logger,
      clock: realClock,
    };
    const running = await new ControllerRegistry([nodeIpamControllerDescriptor({ clusterCidr: '10.42.0.0/16', nodeCidrMaskSize: 24 })]).start(['nodeipam'], ctx);
    terms.push({ ctx, running });
    return running;
  };
  const nodes = () => t.grpc.resource<Node>(RESOURCES.nodes);
  const podCidrOf = async (name: string) => (await nodes().get(undefined, name)).spec?.podCIDR || undefined;

  it('gives two Nodes distinct /24s, and a new leader restores them instead of handing them out again', async () => {
    await nodes().create(undefined, { metadata: { name: 'ipam-a' }, spec: {} } as Node);
    await nodes().create(undefined, { metadata: { name: 'ipam-b' }, spec: {} } as Node);
    const first = await lead();
    const a = await eventually('ipam-a to get a podCIDR', () => podCidrOf('ipam-a'));
    const b = await eventually('ipam-b to get a podCIDR', () => podCidrOf('ipam-b'));
    expect(a).to.match(/^10\.42\.\d+\.0\/24$/);
    expect(b).to.match(/^10\.42\.\d+\.0\/24$/);
    expect(a).to.not.equal(b);
    expect((await nodes().get(undefined, 'ipam-a')).spec?.podCIDRs).to.deep.equal([a]);

    await first.stop(); // failover: the next term starts from nothing but the Nodes
    await lead();
    await nodes().create(undefined, { metadata: { name: 'ipam-c' }, spec: {} } as Node);
    const c = await eventually('ipam-c to get a podCIDR', () => podCidrOf('ipam-c'));
    expect([a, b]).to.not.include(c);
  });
});
