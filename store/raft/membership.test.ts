import { expect } from 'chai';
import { Network, bytes } from './test-network';
import { ConfChangeType, MessageType, newMessage, StateRole } from './types';

const NO_CTX = new Uint8Array(0);

describe('raft membership changes (single-server changes, thesis §4.1)', () => {
  it('§4.1 a new voter joins with empty storage, catches up, and then counts for quorum', () => {
    const net = Network.create([1, 2, 3]);
    net.elect(1);
    net.propose(1, 'before');
    net.addNode(4); // empty storage, no peers: waits for the leader
    expect(net.node(1).proposeConfChange({ type: ConfChangeType.AddNode, nodeId: 4, context: bytes('url-4') })).to.equal('ok');
    net.stabilize();
    net.tickAll(2);
    for (const id of [1, 2, 3, 4]) expect(net.node(id).status().confState.voters, `member ${id}`).to.deep.equal([1, 2, 3, 4]);
    expect(net.appliedData(4)).to.deep.equal(['before']);
    // Quorum is now 3 of 4: the leader plus member 4 alone cannot commit.
    net.isolate(2);
    net.isolate(3);
    net.propose(1, 'needs-3-of-4');
    expect(net.appliedData(1)).to.deep.equal(['before']);
    net.heal();
    net.isolate(3);
    net.tick(1);
    expect(net.appliedData(1)).to.deep.equal(['before', 'needs-3-of-4']);
  });

  it('§4.1 removing members shrinks the quorum', () => {
    const net = Network.create([1, 2, 3]);
    net.elect(1);
    net.node(1).proposeConfChange({ type: ConfChangeType.RemoveNode, nodeId: 3, context: NO_CTX });
    net.stabilize();
    net.node(1).proposeConfChange({ type: ConfChangeType.RemoveNode, nodeId: 2, context: NO_CTX });
    net.stabilize();
    expect(net.node(1).status().confState.voters).to.deep.equal([1]);
    net.isolate(2);
    net.isolate(3);
    net.propose(1, 'alone');
    expect(net.appliedData(1)).to.deep.equal(['alone']);
  });

  it('§4.2.2 a removed leader steps down once the change is applied, and the others elect a leader', () => {
    const net = Network.create([1, 2, 3]);
    net.elect(1);
    net.node(1).proposeConfChange({ type: ConfChangeType.RemoveNode, nodeId: 1, context: NO_CTX });
    net.stabilize();
    expect(net.node(1).role).to.equal(StateRole.Follower);
    net.tickAll(30);
    const leaders = net.leaders();
    expect(leaders).to.have.length(1);
    expect(leaders[0]).to.not.equal(1);
    expect(net.node(leaders[0]).status().confState.voters).to.deep.equal([2, 3]);
    net.propose(leaders[0], 'without-1');
    expect(net.appliedData(2)).to.deep.equal(['without-1']);
  });

  it('only one conf change may be pending: a second one is dropped until the first is applied', () => {
    const net = Network.create([1, 2, 3]);
    net.elect(1);
    const n = net.node(1);
    expect(n.proposeConfChange({ type: ConfChangeType.AddLearnerNode, nodeId: 4, context: NO_CTX })).to.equal('ok');
    expect(n.proposeConfChange({ type: ConfChangeType.AddLearnerNode, nodeId: 5, context: NO_CTX })).to.equal('dropped');
    net.stabilize();
    expect(n.proposeConfChange({ type: ConfChangeType.AddLearnerNode, nodeId: 5, context: NO_CTX })).to.equal('ok');
    net.stabilize();
    expect(n.status().confState.learners).to.deep.equal([4, 5]);
  });

  it('§4.2.1 a learner receives the log but never votes for quorum nor campaigns', () => {
    const net = Network.create([1, 2, 3]);
    net.elect(1);
    net.addNode(4);
    net.node(1).proposeConfChange({ type: ConfChangeType.AddLearnerNode, nodeId: 4, context: NO_CTX });
    net.stabilize();
    net.tickAll(2);
    net.propose(1, 'x');
    expect(net.appliedData(4)).to.deep.equal(['x']);
    expect(net.node(4).status().confState).to.deep.equal({ voters: [1, 2, 3], learners: [4] });
    // The learner never campaigns, however long it goes without a leader.
    net.isolate(1);
    net.tick(4, 100);
    expect(net.node(4).role).to.equal(StateRole.Follower);
    // A learner's vote does not count towards a candidate's quorum: 1's answer to 2 is lost
    // and 3 is unreachable, so 2 stays a candidate.
    net.heal();
    net.isolate(3);
    net.filter = (m) => !(m.type === MessageType.VoteResp && m.from === 1);
    net.elect(2);
    // Vote requests go to voters only.
    expect(net.delivered.some((m) => m.type === MessageType.Vote && m.to === 4)).to.equal(false);
    expect(net.node(2).role).to.equal(StateRole.Candidate);
    // Even a granted vote from the learner does not count.
    net.node(2).step(newMessage({ type: MessageType.VoteResp, from: 4, to: 2, term: net.node(2).term }));
    expect(net.node(2).role).to.equal(StateRole.Candidate);
  });

  it('§4.2.1 promoting a learner with AddNode makes it a voter', () => {
    const net = Network.create([1, 2, 3]);
    net.elect(1);
    net.addNode(4);
    net.node(1).proposeConfChange({ type: ConfChangeType.AddLearnerNode, nodeId: 4, context: NO_CTX });
    net.stabilize();
    net.tickAll(2);
    net.node(1).proposeConfChange({ type: ConfChangeType.AddNode, nodeId: 4, context: NO_CTX });
    net.stabilize();
    expect(net.node(4).status().confState).to.deep.equal({ voters: [1, 2, 3, 4], learners: [] });
    net.isolate(1);
    net.elect(4);
    expect(net.node(4).role).to.equal(StateRole.Leader);
  });

  it('a member added after the latest snapshot catches up from it (snapshot predates the member)', () => {
    const net = Network.create([1, 2, 3]);
    net.elect(1);
    for (let i = 0; i < 5; i++) net.propose(1, `v${i}`);
    const st = net.storage(1);
    const status = net.node(1).status();
    st.createSnapshot(status.applied, status.confState, new Uint8Array(0));
    st.compact(status.applied);
    net.addNode(4);
    net.node(1).proposeConfChange({ type: ConfChangeType.AddNode, nodeId: 4, context: NO_CTX });
    net.stabilize();
    net.tickAll(5);
    expect(net.snapshotsInstalled.get(4)).to.have.length(1);
    expect(net.node(4).status().confState.voters).to.deep.equal([1, 2, 3, 4]);
    expect(net.storage(4).lastIndex()).to.equal(net.storage(1).lastIndex());
  });
});
