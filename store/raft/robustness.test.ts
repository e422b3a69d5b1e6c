import { expect } from 'chai';
import { decodeConfChange, encodeConfChange, ConfChangeDecodeError } from './conf-change';
import { RaftInvariantError } from './errors';
import { MemoryStorage } from './memory-storage';
import { RaftNode } from './raft-node';
import { Network, bytes, defaultNetworkConfig } from './test-network';
import { ConfChangeType, EntryType, Message, MessageType, newMessage, StateRole } from './types';

describe('raft robustness: junk input never throws or corrupts state', () => {
  function junk(term: number, last: number): Message[] {
    const e = (index: number, t: number) => ({ index, term: t, type: EntryType.Normal, data: new Uint8Array(0) });
    return [
      { ...newMessage({ type: 99 as MessageType, from: 2, to: 1, term }) },
      newMessage({ type: MessageType.App, from: 7, to: 1, term: term - 1, index: last, logTerm: term }),
      newMessage({ type: MessageType.AppResp, from: 42, to: 1, term, index: 1000 }),
      newMessage({ type: MessageType.HeartbeatResp, from: 42, to: 1, term }),
      newMessage({ type: MessageType.App, from: 2, to: 1, term, index: last, logTerm: term, entries: [e(last + 2, term)] }),
      newMessage({ type: MessageType.App, from: 2, to: 1, term, index: last + 50, logTerm: term, entries: [e(last + 51, term)] }),
      newMessage({ type: MessageType.Snap, from: 2, to: 1, term }),
      newMessage({ type: MessageType.Hup, from: 2, to: 1, term: 0 }),
      newMessage({ type: MessageType.Vote, from: 1, to: 1, term: term + 1 }),
      newMessage({ type: MessageType.Vote, from: 2, to: 5, term: term + 1 }),
      newMessage({ type: MessageType.VoteResp, from: 3, to: 1, term: 0 }),
      newMessage({ type: MessageType.ReadIndex, from: 2, to: 1, term: 0 }),
      newMessage({ type: MessageType.ReadIndexResp, from: 2, to: 1, term, index: 5 }),
      newMessage({ type: MessageType.Prop, from: 2, to: 1, term: 0 }),
      newMessage({ type: MessageType.TimeoutNow, from: 3, to: 1, term: term - 1 }),
      { ...newMessage({ type: MessageType.App, from: 2, to: 1, term }), index: -1 },
      { ...newMessage({ type: MessageType.App, from: 2, to: 1, term }), entries: 'nope' as unknown as [] },
    ];
  }

  it('a leader survives junk messages and keeps replicating', () => {
    const net = Network.create([1, 2, 3]);
    net.elect(1);
    net.propose(1, 'a');
    const n = net.node(1);
    const term = n.term;
    const before = n.status();
    for (const m of junk(term, net.storage(1).lastIndex())) expect(() => n.step(m)).to.not.throw();
    net.stabilize();
    expect(n.role).to.equal(StateRole.Leader);
    expect(n.term).to.equal(term);
    expect(n.status().hardState.commit).to.equal(before.hardState.commit);
    net.propose(1, 'b');
    for (const id of [1, 2, 3]) expect(net.appliedData(id)).to.deep.equal(['a', 'b']);
  });

  it('a follower survives junk messages, including a heartbeat whose commit is past its log', () => {
    const net = Network.create([1, 2, 3]);
    net.elect(1);
    const n = net.node(2);
    const term = n.term;
    const last = net.storage(2).lastIndex();
    for (const m of junk(term, last)) expect(() => n.step(m)).to.not.throw();
    n.step(newMessage({ type: MessageType.Heartbeat, from: 1, to: 2, term, commit: last + 100 }));
    net.stabilize();
    expect(n.status().hardState.commit).to.be.at.most(net.storage(2).lastIndex());
    net.propose(1, 'ok');
    expect(net.appliedData(2)).to.deep.equal(['ok']);
  });

  it('duplicated and reordered messages are harmless', () => {
    const net = Network.create([1, 2, 3]);
    net.elect(1);
    const msgs: Message[] = [];
    for (let i = 0; i < 5; i++) {
      net.node(1).propose(bytes(`v${i}`));
      while (net.node(1).hasReady()) msgs.push(...net.handleReady(1));
    }
    // Deliver everything twice, newest first.
    for (const m of [...msgs].reverse()) net.deliver(m);
    for (const m of msgs) net.deliver(m);
    net.stabilize();
    net.tickAll(3);
    for (const id of [1, 2, 3]) expect(net.appliedData(id)).to.deep.equal(['v0', 'v1', 'v2', 'v3', 'v4']);
  });

  it('a message addressed to a member outside the config is still emitted (the transport drops it)', () => {
    const net = Network.create([1, 2, 3]);
    net.elect(1);
    net.node(1).proposeConfChange({ type: ConfChangeType.AddNode, nodeId: 9, context: new Uint8Array() });
    net.stabilize();
    net.node(1).tick();
    const msgs: Message[] = [];
    while (net.node(1).hasReady()) msgs.push(...net.handleReady(1));
    expect(msgs.some((m) => m.to === 9)).to.equal(true);
  });

  it('a restart with a commit index past the log fails loudly', () => {
    const storage = MemoryStorage.restore({ hardState: { term: 2, vote: 0, commit: 5 }, entries: [] });
    expect(() => new RaftNode({ ...defaultNetworkConfig(), id: 1, storage, random: () => 0 })).to.throw(RaftInvariantError);
  });

  it('invalid configs are refused', () => {
    const storage = new MemoryStorage();
    const base = { ...defaultNetworkConfig(), storage, random: () => 0 };
    expect(() => new RaftNode({ ...base, id: 0 })).to.throw(RangeError);
    expect(() => new RaftNode({ ...base, id: 1, electionTick: 1, heartbeatTick: 1 })).to.throw(RangeError);
    expect(() => new RaftNode({ ...base, id: 1, maxInflightMsgs: 0 })).to.throw(RangeError);
  });

  it('ready() hands things out once; hasReady() is false until new work arrives', () => {
    const storage = new MemoryStorage();
    const node = new RaftNode({ ...defaultNetworkConfig(), id: 1, storage, peers: [1, 2, 3], random: () => 0 });
    expect(node.hasReady()).to.equal(true);
    const rd = node.ready();
    expect(rd.entries.map((e) => e.index)).to.deep.equal([1, 2, 3]);
    expect(rd.committedEntries).to.deep.equal([]); // not durable yet
    expect(rd.hardState).to.deep.equal({ term: 1, vote: 0, commit: 3 });
    expect(rd.mustSync).to.equal(true);
    expect(node.hasReady()).to.equal(false);
    storage.append(rd.entries);
    storage.setHardState(rd.hardState!);
    node.advance(rd);
    const rd2 = node.ready();
    expect(rd2.committedEntries.map((e) => e.index)).to.deep.equal([1, 2, 3]);
    expect(rd2.mustSync).to.equal(false);
    node.advance(rd2);
    expect(node.status().applied).to.equal(3);
    expect(node.hasReady()).to.equal(false);
  });

  it('a restarted member keeps its term and vote and re-applies from its snapshot index', () => {
    const net = Network.create([1, 2, 3]);
    net.elect(1);
    net.propose(1, 'a');
    const hs = net.storage(2).getHardState();
    const n = net.restart(2);
    expect(n.term).to.equal(hs.term);
    expect(n.status().hardState).to.deep.equal(hs);
    net.stabilize();
    expect(net.appliedData(2)).to.deep.equal(['a']);
  });
});

describe('conf-change encoding', () => {
  it('round-trips every change type deterministically', () => {
    for (const type of [ConfChangeType.AddNode, ConfChangeType.RemoveNode, ConfChangeType.AddLearnerNode]) {
      const cc = { type, nodeId: 2 ** 40 + 3, context: bytes('http://10.0.0.1:2380') };
      const a = encodeConfChange(cc);
      expect(encodeConfChange(cc)).to.deep.equal(a);
      expect(decodeConfChange(a)).to.deep.equal(cc);
    }
  });

  it('refuses truncated, unknown-version or unknown-type input', () => {
    const good = encodeConfChange({ type: ConfChangeType.AddNode, nodeId: 1, context: new Uint8Array() });
    expect(() => decodeConfChange(good.slice(0, 5))).to.throw(ConfChangeDecodeError);
    const badVersion = good.slice();
    badVersion[0] = 9;
    expect(() => decodeConfChange(badVersion)).to.throw(ConfChangeDecodeError);
    const badType = good.slice();
    badType[1] = 7;
    expect(() => decodeConfChange(badType)).to.throw(ConfChangeDecodeError);
  });
});
