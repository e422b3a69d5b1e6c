import { expect } from 'chai';
import { Network } from './test-network';
import { MessageType, newMessage, NONE, StateRole } from './types';

describe('raft pre-vote and check-quorum (thesis §9.6, §6.2, §4.2.3)', () => {
  it('§9.6 pre-vote keeps a partitioned member from inflating its term and disrupting the leader', () => {
    const net = Network.create([1, 2, 3], { preVote: true });
    net.elect(1);
    const term = net.node(1).term;
    net.isolate(3);
    net.tick(3, 100);
    expect(net.node(3).term, 'isolated member term').to.equal(term);
    expect(net.node(3).role).to.equal(StateRole.PreCandidate);
    net.heal();
    net.tickAll(5);
    expect(net.leaders()).to.deep.equal([1]);
    expect(net.node(1).term).to.equal(term);
    expect(net.node(3).lead).to.equal(1);
  });

  it('without pre-vote the same partitioned member does inflate its term (contrast)', () => {
    const net = Network.create([1, 2, 3]);
    net.elect(1);
    const term = net.node(1).term;
    net.isolate(3);
    net.tick(3, 100);
    expect(net.node(3).term).to.be.greaterThan(term + 1);
  });

  it('§9.6 a pre-vote round that wins becomes a real election in the next term', () => {
    const net = Network.create([1, 2, 3], { preVote: true });
    const term = net.node(1).term;
    net.elect(2);
    expect(net.node(2).role).to.equal(StateRole.Leader);
    expect(net.node(2).term).to.equal(term + 1);
  });

  it('§9.6 pre-vote is refused for a candidate with a stale log, and nobody changes term', () => {
    const net = Network.create([1, 2, 3], { preVote: true });
    net.elect(1);
    net.isolate(3);
    net.propose(1, 'a');
    net.heal();
    net.isolate(1);
    const term = net.node(2).term;
    net.elect(3);
    expect(net.node(3).role).to.equal(StateRole.PreCandidate); // 2 refused, 1 unreachable
    net.tick(3, 50);
    expect(net.node(3).role).to.not.equal(StateRole.Leader);
    expect(net.node(3).term).to.equal(term);
    expect(net.node(2).term).to.equal(term);
  });

  it('§6.2 check-quorum: a leader that hears from no quorum within an election timeout steps down', () => {
    const net = Network.create([1, 2, 3], { checkQuorum: true });
    net.elect(1);
    net.isolate(1);
    // Activity is sampled once per election timeout, so stepping down takes at most two.
    let ticks = 0;
    while (net.node(1).role === StateRole.Leader && ticks < 100) {
      net.tick(1);
      ticks++;
    }
    expect(ticks).to.be.within(10, 20);
    expect(net.node(1).role).to.equal(StateRole.Follower);
    expect(net.node(1).lead).to.equal(NONE);
  });

  it('§6.2 check-quorum: a leader that hears from a quorum stays leader', () => {
    const net = Network.create([1, 2, 3], { checkQuorum: true });
    net.elect(1);
    net.isolate(3);
    net.tickAll(50);
    expect(net.node(1).role).to.equal(StateRole.Leader);
  });

  it('§4.2.3 leader lease: a follower that heard from its leader recently ignores a higher-term Vote', () => {
    const net = Network.create([1, 2, 3], { checkQuorum: true });
    net.elect(1);
    const term = net.node(2).term;
    const last = net.storage(2).lastIndex();
    net.node(2).step(newMessage({ type: MessageType.Vote, from: 3, to: 2, term: term + 5, index: last + 10, logTerm: term + 4 }));
    expect(net.node(2).term).to.equal(term);
    expect(net.node(2).lead).to.equal(1);
    expect(net.node(2).ready().messages).to.have.length(0);
  });

  it('§4.2.3 a member partitioned under check-quorum rejoins: the stale-term reply lets it catch up', () => {
    const net = Network.create([1, 2, 3], { checkQuorum: true });
    net.elect(1);
    net.isolate(3);
    net.tick(3, 40); // 3 campaigns repeatedly, bumping its term
    const t3 = net.node(3).term;
    expect(t3).to.be.greaterThan(net.node(1).term);
    net.heal();
    // 3's votes are ignored (lease); the leader's heartbeats at a lower term get a reply that
    // carries 3's term, so the leader steps down and a new election converges.
    net.tickAll(60);
    expect(net.leaders()).to.have.length(1);
    const lead = net.leaders()[0];
    for (const id of [1, 2, 3]) expect(net.node(id).lead).to.equal(lead);
    expect(net.node(lead).term).to.be.at.least(t3);
  });
});
