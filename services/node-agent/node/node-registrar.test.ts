import { expect } from 'chai';
import { podCondition } from '../../../lib/api/pod-status';
import { RESOURCES } from '../../../lib/api/resources';
import type { Node } from '../../../lib/api/types';
import { AgentHarness, TEST_NODE } from '../testing/agent-harness';
import { LEASE_RENEW_INTERVAL_MS } from './node-registrar';

describe('NodeRegistrar: node conditions someone else changed', function () {
  let h: AgentHarness;
  beforeEach(async () => {
    h = new AgentHarness();
    await h.startAgent();
  });
  afterEach(() => h.stop());

  it('writes Ready=True again at the next heartbeat after the node lifecycle controller set it Unknown (a paused agent resumed)', async () => {
    const nodes = h.client.resource<Node>(RESOURCES.nodes);
    const ready = async () => podCondition(await nodes.get(undefined, TEST_NODE), 'Ready')?.status;
    expect(await ready()).to.equal('True');
    // What the controller-manager writes past the grace period: every condition Unknown.
    const node = await nodes.get(undefined, TEST_NODE);
    const conditions = (node.status!.conditions as Array<{ type: string; status: string; reason?: string }>).map((c) => ({ ...c, status: 'Unknown', reason: 'NodeStatusUnknown' }));
    await nodes.updateStatus(undefined, { ...node, status: { ...node.status, conditions } });
    await h.clock.advance(0);
    expect(await ready()).to.equal('Unknown');
    await h.clock.advance(LEASE_RENEW_INTERVAL_MS);
    expect(await ready()).to.equal('True');
  });
});
