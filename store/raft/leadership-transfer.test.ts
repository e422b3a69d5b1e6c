import { expect } from 'chai';
import { Network, bytes } from './test-network';
import { MessageType, NONE, StateRole } from './types';

describe('raft leadership transfer (thesis §3.10)', () => {
  it('§3.10 leadership moves to an up-to-date follower via TimeoutNow', () => {
    const net = Network.create([1, 2, 3], { checkQuorum: true, preVote: true });
    net.elect(1);
    const term = net.node(1).term;
    net.node(1).transferLeadership(2);
    net.stabilize();
    expect(net.node(2).role).to.equal(StateRole.Leader);
    expect(net.node(2).term).to.equal(term + 1);
    expect(net.node(1).lead).to.equal(2);
    expect(net.delivered.some((m) => m.type === MessageType.TimeoutNow && m.to === 2)).to.equal(true);
  });

  it('§3.10 a lagging transferee is caught up first, then takes over', () => {
    const net = Network.create([1, 2, 3]);
    net.elect(1);
    net.isolate(3);
    for (let i = 0; i < 5; i++) net.propose(1, `v${i}`);
    net.heal();
    net.node(1).transferLeadership(3);
    net.stabilize();
    expect(net.node(3).role).to.equal(StateRole.Leader);
    expect(net.appliedData(3)).to.deep.equal(['v0', 'v1', 'v2', 'v3', 'v4']);
  });

  it('§3.10 a follower forwards a transfer request to the leader', () => {
    const net = Network.create([1, 2, 3]);
    net.elect(1);
    net.node(3).transferLeadership(3);
    net.stabilize();
    expect(net.node(3).role).to.equal(StateRole.Leader);
  });

  it('§3.10 proposals are dropped during a transfer, which aborts after an election timeout', () => {
    const net = Network.create([1, 2, 3]);
    net.elect(1);
    net.isolate(3);
    net.propose(1, 'x'); // 3 falls behind, so the transfer has to wait for it
    net.node(1).transferLeadership(3);
    net.stabilize();
    expect(net.node(1).status().leadTransferee).to.equal(3);
    expect(net.node(1).propose(bytes('during'))).to.equal('dropped');
    net.tick(1, 10);
    expect(net.node(1).status().leadTransferee).to.equal(NONE);
    expect(net.node(1).role).to.equal(StateRole.Leader);
    expect(net.propose(1, 'after')).to.equal('ok');
    expect(net.appliedData(1)).to.deep.equal(['x', 'after']);
  });

  it('transfer to self, to a learner or to an unknown member is ignored', () => {
    const net = Network.create([1, 2, 3]);
    net.elect(1);
    net.node(1).transferLeadership(1);
    net.node(1).transferLeadership(9);
    net.stabilize();
    expect(net.node(1).status().leadTransferee).to.equal(NONE);
    expect(net.leaders()).to.deep.equal([1]);
  });
});
