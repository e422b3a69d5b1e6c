import { expect } from 'chai';
import { entrySizeBytes } from './entry-size';
import { MemoryStorage } from './memory-storage';
import { RaftNode } from './raft-node';
import { Network, bytes, defaultNetworkConfig } from './test-network';
import { ConfChangeType, Entry, EntryType, Message, MessageType, newMessage, StateRole } from './types';
import { encodeConfChange } from './conf-change';

function ent(index: number, term: number, data = ''): Entry {
  return { index, term, type: EntryType.Normal, data: bytes(data) };
}

function confEntries(ids: number[]): Entry[] {
  return ids.map((nodeId, i) => ({
    index: i + 1,
    term: 1,
    type: EntryType.ConfChange,
    data: encodeConfChange({ type: ConfChangeType.AddNode, nodeId, context: new Uint8Array(0) }),
  }));
}

/** A storage as if the bootstrap entries for `ids` plus `rest` were written, with `term`. */
function storageWith(ids: number[], rest: Entry[], term: number, commit = ids.length): MemoryStorage {
  return MemoryStorage.restore({
    hardState: { term, vote: 0, commit },
    entries: [...confEntries(ids), ...rest],
    confState: { voters: ids, learners: [] },
  });
}

describe('raft log replication (§5.3, §5.4.2)', () => {
  it('§5.3 the leader replicates entries and every member applies them in order once committed', () => {
    const net = Network.create([1, 2, 3]);
    net.elect(1);
    for (const v of ['a', 'b', 'c']) expect(net.propose(1, v)).to.equal('ok');
    for (const id of [1, 2, 3]) expect(net.appliedData(id)).to.deep.equal(['a', 'b', 'c']);
    expect(net.storage(3).getHardState().commit).to.equal(net.storage(1).lastIndex());
  });

  it('§5.3 an entry is committed once a majority stores it, not before', () => {
    const net = Network.create([1, 2, 3]);
    net.elect(1);
    net.isolate(2);
    net.isolate(3);
    net.propose(1, 'x');
    expect(net.appliedData(1)).to.deep.equal([]);
    net.heal();
    net.isolate(3);
    net.tick(1); // heartbeat -> 2 answers -> leader resends
    expect(net.appliedData(1)).to.deep.equal(['x']);
    expect(net.appliedData(2)).to.deep.equal(['x']);
    expect(net.appliedData(3)).to.deep.equal([]);
  });

  it('committed entries are handed out only after they were persisted (in an earlier Ready)', () => {
    const storage = new MemoryStorage();
    const node = new RaftNode({ ...defaultNetworkConfig(), id: 1, storage, peers: [1], random: () => 0 });
    const persisted = new Set<number>();
    const drive = () => {
      while (node.hasReady()) {
        const rd = node.ready();
        for (const e of rd.committedEntries) expect(persisted.has(e.index), `entry ${e.index} applied before persisted`).to.equal(true);
        storage.append(rd.entries);
        for (const e of rd.entries) persisted.add(e.index);
        if (rd.hardState) storage.setHardState(rd.hardState);
        node.advance(rd);
      }
    };
    drive();
    node.campaign();
    drive();
    node.propose(bytes('p'));
    drive();
    expect(node.status().applied).to.equal(3);
  });

  it('§5.4.2 (Figure 8) a leader never commits an entry from an earlier term by counting replicas', () => {
    // S1 has index 2 from term 2 and becomes leader of term 4 with votes from S2 and S3.
    const ids = [1, 2, 3, 4, 5];
    const s1 = storageWith(ids, [ent(6, 2, 'from-term-2')], 3, 5);
    const n1 = new RaftNode({ ...defaultNetworkConfig(), id: 1, storage: s1, applied: 5, random: () => 0 });
    const persist = () => {
      const rd = n1.ready();
      s1.append(rd.entries);
      if (rd.hardState) s1.setHardState(rd.hardState);
      n1.advance(rd);
      return rd;
    };
    n1.campaign();
    persist();
    for (const from of [2, 3]) n1.step(newMessage({ type: MessageType.VoteResp, from, to: 1, term: 4 }));
    expect(n1.role).to.equal(StateRole.Leader);
    const rd = persist(); // persists the empty entry of term 4 at index 7
    expect(rd.entries.map((e) => [e.index, e.term])).to.deep.equal([[7, 4]]);
    // A majority (S1, S2, S3) now stores index 6 (term 2): still not committed.
    for (const from of [2, 3]) n1.step(newMessage({ type: MessageType.AppResp, from, to: 1, term: 4, index: 6 }));
    expect(n1.status().hardState.commit).to.equal(5);
    // Once a majority stores the term-4 entry, it and everything before it commit.
    for (const from of [2, 3]) n1.step(newMessage({ type: MessageType.AppResp, from, to: 1, term: 4, index: 7 }));
    expect(n1.status().hardState.commit).to.equal(7);
  });

  it('§5.3 a follower deletes a conflicting suffix and takes the leader’s entries', () => {
    const ids = [1, 2, 3];
    const net = new Network();
    // Leader-to-be S1 has a term-3 log; S2 has divergent entries from term 2 it must drop.
    net.addNode(1, { storage: storageWith(ids, [ent(4, 1, 'a'), ent(5, 3, 'b'), ent(6, 3, 'c')], 3, 4) });
    net.addNode(2, { storage: storageWith(ids, [ent(4, 1, 'a'), ent(5, 2, 'x'), ent(6, 2, 'y'), ent(7, 2, 'z')], 2, 4) });
    net.addNode(3, { storage: storageWith(ids, [ent(4, 1, 'a'), ent(5, 3, 'b')], 3, 4) });
    net.stabilize();
    net.elect(1);
    expect(net.node(1).role).to.equal(StateRole.Leader);
    const l1 = net.node(1).debugLog().entries.map((e) => [e.index, e.term]);
    for (const id of [2, 3]) {
      expect(net.node(id).debugLog().entries.map((e) => [e.index, e.term]), `member ${id}`).to.deep.equal(l1);
    }
    expect(net.storage(2).lastIndex()).to.equal(7); // 4 bootstrap/base + b, c + empty entry
    expect(net.appliedData(2)).to.deep.equal(['a', 'b', 'c']);
  });

  it('fast backtracking: a follower missing many entries is caught up in few round trips', () => {
    const ids = [1, 2, 3];
    const long: Entry[] = [];
    for (let i = 4; i < 104; i++) long.push(ent(i, 2, `e${i}`));
    const diverged: Entry[] = [];
    for (let i = 4; i < 204; i++) diverged.push(ent(i, 1, `old${i}`)); // uncommitted junk from term 1
    const net = new Network();
    net.addNode(1, { storage: storageWith(ids, long, 2) });
    net.addNode(2, { storage: storageWith(ids, long, 2) });
    net.addNode(3, { storage: storageWith(ids, diverged, 1) });
    net.stabilize();
    net.elect(1);
    const appsTo3 = net.delivered.filter((m) => m.type === MessageType.App && m.to === 3);
    expect(appsTo3.length).to.be.at.most(3);
    expect(net.node(3).debugLog().lastIndex).to.equal(net.node(1).debugLog().lastIndex);
    expect(net.appliedData(3)).to.have.length(100);
  });

  it('batching: an App message carries at most maxSizePerMsg bytes of entries (but at least one)', () => {
    const maxSizePerMsg = 1000;
    const net = Network.create([1, 2], { maxSizePerMsg });
    net.elect(1);
    net.isolate(2);
    const payload = 'p'.repeat(300);
    for (let i = 0; i < 10; i++) net.propose(1, payload + i);
    net.heal();
    const before = net.delivered.length;
    net.tick(1);
    const apps = net.delivered.slice(before).filter((m) => m.type === MessageType.App && m.entries.length > 0);
    expect(apps.length).to.be.greaterThan(1);
    for (const m of apps) {
      const size = m.entries.reduce((n, e) => n + entrySizeBytes(e), 0);
      expect(m.entries.length === 1 || size <= maxSizePerMsg, `App of ${m.entries.length} entries, ${size} bytes`).to.equal(true);
    }
    expect(net.appliedData(2)).to.have.length(10);
  });

  it('flow control: no more than maxInflightMsgs un-acknowledged App messages to a follower', () => {
    const maxInflightMsgs = 3;
    const net = Network.create([1, 2], { maxInflightMsgs, maxSizePerMsg: 1 });
    net.elect(1);
    expect(net.node(1).status().progress!.get(2)!.state).to.equal('replicate');
    for (let i = 0; i < 10; i++) expect(net.node(1).propose(bytes(`v${i}`))).to.equal('ok');
    const drain = (): Message[] => {
      const out: Message[] = [];
      while (net.node(1).hasReady()) out.push(...net.handleReady(1));
      return out;
    };
    let apps = drain().filter((m) => m.type === MessageType.App);
    expect(apps).to.have.length(maxInflightMsgs);
    // Acknowledge the first App: exactly one more may go out.
    for (const m of apps.slice(0, 1)) net.deliver(m);
    const resps = net.handleReady(2).filter((m) => m.type === MessageType.AppResp);
    for (const r of resps) net.deliver(r);
    apps = drain().filter((m) => m.type === MessageType.App && m.entries.length > 0);
    expect(apps).to.have.length(1);
  });

  it('flow control: a heartbeat response frees a slot when every in-flight App was lost', () => {
    const net = Network.create([1, 2], { maxInflightMsgs: 2, maxSizePerMsg: 1 });
    net.elect(1);
    net.filter = (m) => m.type !== MessageType.App;
    for (let i = 0; i < 5; i++) net.propose(1, `v${i}`);
    net.filter = undefined;
    net.tickAll(5);
    expect(net.appliedData(2)).to.have.length(5);
  });

  it('a follower forwards a proposal to the leader', () => {
    const net = Network.create([1, 2, 3]);
    net.elect(1);
    expect(net.propose(2, 'fwd')).to.equal('ok');
    for (const id of [1, 2, 3]) expect(net.appliedData(id)).to.deep.equal(['fwd']);
  });

  it('a proposal without a known leader is refused with not-leader', () => {
    const net = Network.create([1, 2, 3]);
    expect(net.node(2).propose(bytes('x'))).to.equal('not-leader');
    net.isolate(1);
    net.isolate(2);
    net.elect(1); // stays candidate
    expect(net.node(1).role).to.equal(StateRole.Candidate);
    expect(net.node(1).propose(bytes('x'))).to.equal('not-leader');
  });

  it('proposals beyond maxUncommittedEntriesSize are dropped until entries commit', () => {
    const net = Network.create([1, 2, 3], { maxUncommittedEntriesSize: 100 });
    net.elect(1);
    net.isolate(2);
    net.isolate(3);
    expect(net.propose(1, 'a'.repeat(60))).to.equal('ok');
    expect(net.propose(1, 'b'.repeat(60))).to.equal('dropped');
    expect(net.propose(1, 'c'.repeat(30))).to.equal('ok');
    net.heal();
    net.tick(1);
    expect(net.appliedData(1)).to.have.length(2);
    expect(net.propose(1, 'd'.repeat(60))).to.equal('ok');
  });

  it('a removed leader that is still leader drops proposals', () => {
    const net = Network.create([1, 2, 3]);
    net.elect(1);
    expect(net.node(1).proposeConfChange({ type: ConfChangeType.RemoveNode, nodeId: 1, context: new Uint8Array(0) })).to.equal('ok');
    net.stabilize();
    expect(net.node(1).role).to.equal(StateRole.Follower);
    expect(net.node(1).propose(bytes('late'))).to.equal('not-leader');
  });
});

describe('raft flow control reports', () => {
  it('reportUnreachable moves a replicating follower back to probing', () => {
    const net = Network.create([1, 2, 3]);
    net.elect(1);
    expect(net.node(1).status().progress!.get(2)!.state).to.equal('replicate');
    net.node(1).reportUnreachable(2);
    expect(net.node(1).status().progress!.get(2)!.state).to.equal('probe');
    net.tickAll(2);
    expect(net.node(1).status().progress!.get(2)!.state).to.equal('replicate');
  });
});
