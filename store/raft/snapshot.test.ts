import { expect } from 'chai';
import { Network, bytes } from './test-network';
import { MessageType, StateRole } from './types';

/** Snapshots the leader's state machine at its applied index and compacts its log there. */
function snapshotAndCompact(net: Network, id: number): number {
  const st = net.storage(id);
  const status = net.node(id).status();
  st.createSnapshot(status.applied, status.confState, bytes(JSON.stringify(net.appliedData(id))));
  st.compact(status.applied);
  return status.applied;
}

describe('raft snapshots (§7)', () => {
  it('§7 a follower that needs compacted entries receives the snapshot, restores it and catches up', () => {
    const net = Network.create([1, 2, 3]);
    net.elect(1);
    net.isolate(3);
    for (let i = 0; i < 10; i++) net.propose(1, `v${i}`);
    const snapIndex = snapshotAndCompact(net, 1);
    expect(net.storage(1).firstIndex()).to.equal(snapIndex + 1);
    net.heal();
    net.propose(1, 'after');
    net.tickAll(3);
    const snaps = net.delivered.filter((m) => m.type === MessageType.Snap);
    expect(snaps.map((m) => [m.from, m.to, m.snapshot!.metadata.index])).to.deep.equal([[1, 3, snapIndex]]);
    expect(net.snapshotsInstalled.get(3)!.map((s) => s.metadata.index)).to.deep.equal([snapIndex]);
    expect(net.storage(3).snapshot().metadata.index).to.equal(snapIndex);
    expect(net.storage(3).lastIndex()).to.equal(net.storage(1).lastIndex());
    expect(net.node(3).status().applied).to.equal(net.node(1).status().applied);
    // Entries after the snapshot were applied normally.
    expect(net.appliedData(3)).to.deep.equal(['after']);
    expect(net.node(1).status().progress!.get(3)!.state).to.equal('replicate');
  });

  it('§7 after a failed snapshot send the leader probes and sends it again', () => {
    const net = Network.create([1, 2, 3]);
    net.elect(1);
    net.isolate(3);
    for (let i = 0; i < 5; i++) net.propose(1, `v${i}`);
    snapshotAndCompact(net, 1);
    net.heal();
    let dropped = 0;
    net.filter = (m) => {
      if (m.type === MessageType.Snap && dropped === 0) {
        dropped++;
        return false;
      }
      return true;
    };
    net.tickAll(5);
    expect(dropped).to.equal(1);
    expect(net.snapshotsInstalled.get(3)).to.have.length(1);
    expect(net.storage(3).lastIndex()).to.equal(net.storage(1).lastIndex());
  });

  it('§7 a restarted follower rebuilds from its snapshot plus the log after it', () => {
    const net = Network.create([1, 2, 3]);
    net.elect(1);
    net.isolate(3);
    for (let i = 0; i < 5; i++) net.propose(1, `v${i}`);
    snapshotAndCompact(net, 1);
    net.heal();
    net.tickAll(3);
    net.propose(1, 'tail');
    const lastIndex = net.storage(3).lastIndex();
    const snapIndex = net.storage(3).snapshot().metadata.index;
    net.restart(3);
    net.stabilize();
    expect(net.node(3).status().hardState.commit).to.be.at.least(lastIndex);
    expect(net.node(3).status().applied).to.be.at.least(snapIndex);
    expect(net.appliedData(3)).to.deep.equal(['tail']);
    net.elect(3);
    expect(net.node(3).role).to.equal(StateRole.Leader);
  });
});
