import { expect } from 'chai';
import { MemoryStorage } from './memory-storage';
import { RaftNode } from './raft-node';
import { Network, bytes, defaultNetworkConfig, seededRandom } from './test-network';
import { EntryType, MessageType, newMessage, NONE, StateRole } from './types';

describe('raft election (§5.2, §5.4.1)', () => {
  it('§5.2 a candidate that wins votes from a majority becomes leader; others follow it', () => {
    const net = Network.create([1, 2, 3]);
    const startTerm = net.node(1).term;
    net.elect(1);
    expect(net.node(1).role).to.equal(StateRole.Leader);
    expect(net.node(1).term).to.equal(startTerm + 1);
    for (const id of [2, 3]) {
      expect(net.node(id).role).to.equal(StateRole.Follower);
      expect(net.node(id).lead).to.equal(1);
      expect(net.node(id).term).to.equal(startTerm + 1);
    }
  });

  it('§5.2 a single-member cluster elects itself and commits its empty entry', () => {
    const net = Network.create([1]);
    net.elect(1);
    expect(net.node(1).role).to.equal(StateRole.Leader);
    expect(net.node(1).status().hardState.commit).to.equal(2); // bootstrap conf change + empty entry
    expect(net.propose(1, 'x')).to.equal('ok');
    expect(net.appliedData(1)).to.deep.equal(['x']);
  });

  it('§5.2 a follower times out after a randomized election timeout in [electionTick, 2*electionTick)', () => {
    for (const [r, expected] of [
      [0, 10],
      [0.999, 19],
      [0.5, 15],
    ] as const) {
      const storage = new MemoryStorage();
      const node = new RaftNode({ ...defaultNetworkConfig(), id: 1, storage, peers: [1, 2, 3], random: () => r });
      // Apply the bootstrap entries so the node may campaign.
      const rd = node.ready();
      storage.append(rd.entries);
      if (rd.hardState) storage.setHardState(rd.hardState);
      node.advance(rd);
      const rd2 = node.ready();
      for (const e of rd2.committedEntries) expect(e.type).to.equal(EntryType.ConfChange);
      node.advance(rd2);
      let ticks = 0;
      while (node.role === StateRole.Follower && ticks < 100) {
        node.tick();
        ticks++;
      }
      expect(ticks, `random=${r}`).to.equal(expected);
      expect(node.role).to.equal(StateRole.Candidate);
    }
  });

  it('§5.2 heartbeats from a live leader keep followers from campaigning', () => {
    const net = Network.create([1, 2, 3]);
    net.elect(1);
    const term = net.node(1).term;
    net.tickAll(100);
    expect(net.leaders()).to.deep.equal([1]);
    expect(net.node(2).term).to.equal(term);
  });

  it('§5.2 each member votes for at most one candidate per term', () => {
    const net = Network.create([1, 2, 3]);
    const n = net.node(1);
    const term = n.term + 1;
    const lastIndex = net.storage(1).lastIndex();
    n.step(newMessage({ type: MessageType.Vote, from: 2, to: 1, term, index: lastIndex, logTerm: 1 }));
    n.step(newMessage({ type: MessageType.Vote, from: 3, to: 1, term, index: lastIndex, logTerm: 1 }));
    // A repeated request from the same candidate is granted again (idempotent).
    n.step(newMessage({ type: MessageType.Vote, from: 2, to: 1, term, index: lastIndex, logTerm: 1 }));
    const rd = n.ready();
    const resps = rd.messages.filter((m) => m.type === MessageType.VoteResp);
    expect(resps.map((m) => [m.to, m.reject])).to.deep.equal([
      [2, false],
      [3, true],
      [2, false],
    ]);
    expect(rd.hardState).to.deep.include({ term, vote: 2 });
    expect(rd.mustSync).to.equal(true);
  });

  it('§5.4.1 a candidate whose log is less up-to-date than a majority loses', () => {
    const net = Network.create([1, 2, 3]);
    net.elect(1);
    net.isolate(3);
    net.propose(1, 'a');
    net.propose(1, 'b');
    net.heal();
    net.isolate(1);
    net.elect(3);
    expect(net.node(3).role).to.not.equal(StateRole.Leader);
    expect(net.node(2).status().hardState.vote).to.not.equal(3);
    net.elect(2);
    expect(net.node(2).role).to.equal(StateRole.Leader);
    net.stabilize();
    expect(net.appliedData(3)).to.deep.equal(['a', 'b']);
  });

  it('§5.2 at most one leader per term across a seeded run with partitions', function () {
    const seed = 20240601;
    const rand = seededRandom(seed);
    const net = Network.create([1, 2, 3, 4, 5]);
    const leaderOfTerm = new Map<number, number>();
    for (let step = 0; step < 400; step++) {
      if (step % 50 === 0) {
        net.heal();
        const a = 1 + Math.floor(rand() * 5);
        const b = 1 + Math.floor(rand() * 5);
        if (a !== b) net.cut(a, b);
        if (rand() < 0.3) net.isolate(1 + Math.floor(rand() * 5));
      }
      if (rand() < 0.2) {
        const id = 1 + Math.floor(rand() * 5);
        net.node(id).propose(bytes(`v${step}`));
      }
      net.tickAll(1);
      for (const id of net.leaders()) {
        const t = net.node(id).term;
        const prev = leaderOfTerm.get(t);
        expect(prev === undefined || prev === id, `seed ${seed}: two leaders in term ${t}: ${prev} and ${id}`).to.equal(true);
        leaderOfTerm.set(t, id);
      }
    }
    expect(leaderOfTerm.size).to.be.greaterThan(0);
    // State machine safety: applied sequences are prefixes of one another.
    const seqs = [1, 2, 3, 4, 5].map((id) => net.appliedData(id));
    const longest = seqs.reduce((a, b) => (a.length >= b.length ? a : b));
    for (const s of seqs) expect(longest.slice(0, s.length), `seed ${seed}`).to.deep.equal(s);
  });

  it('a learner or a member outside the config never campaigns', () => {
    const storage = new MemoryStorage();
    const node = new RaftNode({ ...defaultNetworkConfig(), id: 9, storage, random: () => 0 });
    for (let i = 0; i < 100; i++) node.tick();
    node.campaign();
    expect(node.role).to.equal(StateRole.Follower);
    expect(node.term).to.equal(0);
    expect(node.lead).to.equal(NONE);
  });
});
