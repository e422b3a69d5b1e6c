import { expect } from 'chai';
import { MemoryStorage } from './memory-storage';
import { Network } from './test-network';
import { MessageType, NONE, StateRole } from './types';

/**
 * Liveness after a follower crash: whatever replication state the leader kept for the follower
 * (a full inflight window, an unanswered probe, a snapshot in flight) and whatever messages
 * were lost with the crash, the leader contacts the restarted follower within a bounded
 * number of heartbeats, the follower learns who leads, and it catches up.
 *
 * The rule these tests pin down (etcd raft): the leader sends a heartbeat to every follower
 * on every heartbeat tick whatever its progress state; a heartbeat response unpauses a
 * probing follower and frees a slot of a full window; a snapshot that fails to send (reported
 * by the transport) puts the follower back into probing.
 */
describe('raft liveness: a restarted follower is contacted again and catches up', () => {
  const HEARTBEAT_TICK = 2;
  /** The bound the tests assert: the follower hears from the leader within this many leader heartbeats. */
  const MAX_HEARTBEATS_TO_CONTACT = 2;

  function cluster(opts: { maxInflightMsgs?: number } = {}): Network {
    const net = Network.create([1, 2, 3], {
      preVote: true,
      checkQuorum: true,
      heartbeatTick: HEARTBEAT_TICK,
      maxInflightMsgs: opts.maxInflightMsgs ?? 4,
      maxSizePerMsg: 1, // one entry per App, so a few proposals fill the window
    });
    net.elect(1);
    return net;
  }

  /** Crashes member `id`: messages to it are lost until restart(), which rebuilds it from its durable storage. */
  function crash(net: Network, id: number): void {
    net.filter = (m) => m.to !== id && m.from !== id;
  }

  function restart(net: Network, id: number): void {
    net.restart(id);
    net.filter = undefined;
  }

  /**
   * Ticks only the leader, one heartbeat interval at a time, until `id` knows the leader;
   * returns how many heartbeat intervals that took (Infinity if never within `max`).
   */
  function heartbeatsUntilContact(net: Network, leader: number, id: number, max: number): number {
    for (let hb = 1; hb <= max; hb++) {
      net.tick(leader, HEARTBEAT_TICK);
      if (net.node(id).lead === leader) return hb;
    }
    return Infinity;
  }

  function expectCaughtUp(net: Network, id: number, leader: number): void {
    // A few more heartbeats settle any probing; nothing else is needed.
    net.tick(leader, HEARTBEAT_TICK * 3);
    expect(net.storage(id).lastIndex(), 'follower log').to.equal(net.storage(leader).lastIndex());
    expect(net.node(id).status().hardState.commit, 'follower commit').to.equal(net.node(leader).status().hardState.commit);
    // (After a snapshot the test network's state machine restarts empty: compare applies only without one.)
    if (net.snapshotsInstalled.get(id)!.length === 0) {
      expect(net.appliedData(id).slice(-1), 'last applied').to.deep.equal(net.appliedData(leader).slice(-1));
    }
  }

  it('the follower crashed while the leader had a full window of appends in flight to it (all lost)', () => {
    const net = cluster({ maxInflightMsgs: 4 });
    crash(net, 3);
    for (let i = 0; i < 10; i++) net.propose(1, `v${i}`);
    const pr = net.node(1).status().progress!.get(3)!;
    expect(pr.state).to.equal('replicate');
    restart(net, 3);
    expect(net.node(3).lead).to.equal(NONE);
    expect(heartbeatsUntilContact(net, 1, 3, MAX_HEARTBEATS_TO_CONTACT)).to.be.at.most(MAX_HEARTBEATS_TO_CONTACT);
    expectCaughtUp(net, 3, 1);
  });

  it('the follower crashed while the leader was probing it (the probe and its answer lost)', () => {
    const net = cluster();
    crash(net, 3);
    // A rejected append puts 3 into probe; make the leader probe and lose the probe.
    net.node(1).reportUnreachable(3);
    net.propose(1, 'while-down');
    expect(net.node(1).status().progress!.get(3)!.state).to.equal('probe');
    restart(net, 3);
    expect(heartbeatsUntilContact(net, 1, 3, MAX_HEARTBEATS_TO_CONTACT)).to.be.at.most(MAX_HEARTBEATS_TO_CONTACT);
    expectCaughtUp(net, 3, 1);
  });

  it('a snapshot in flight is lost silently: the leader still heartbeats the follower every interval', () => {
    const net = cluster();
    crash(net, 3);
    for (let i = 0; i < 5; i++) net.propose(1, `v${i}`);
    compactLeader(net, 1);
    restart(net, 3);
    // The heartbeat response makes the leader send a snapshot, which vanishes with no report
    // from the transport (the worst case: the transport must report, see peer-transport.ts).
    let lost = 0;
    let heartbeats = 0;
    const intervals = 5;
    for (let i = 0; i < intervals * HEARTBEAT_TICK; i++) {
      net.node(1).tick();
      for (let round = 0; round < 100; round++) {
        net.processReadies();
        if (net.queue.length === 0) break;
        const batch = net.queue;
        net.queue = [];
        for (const m of batch) {
          if (m.type === MessageType.Snap) lost++;
          else {
            if (m.type === MessageType.Heartbeat && m.to === 3) heartbeats++;
            net.deliver(m);
          }
        }
      }
    }
    expect(lost, 'snapshots lost').to.equal(1);
    expect(net.node(1).status().progress!.get(3)!.state, 'waiting for the snapshot report').to.equal('snapshot');
    expect(heartbeats, 'heartbeats to 3').to.be.at.least(intervals);
    expect(net.node(3).lead).to.equal(1);
    // Once the transport reports the failure, the leader sends the snapshot again.
    net.node(1).reportSnapshot(3, false);
    expectCaughtUp(net, 3, 1);
  });

  it('a snapshot send that failed (reported by the transport) is retried and the follower catches up', () => {
    const net = cluster();
    crash(net, 3);
    for (let i = 0; i < 5; i++) net.propose(1, `v${i}`);
    compactLeader(net, 1);
    // The snapshot is dropped by the network (deliver() reports the failure, as the transport must).
    net.filter = (m) => m.to !== 3;
    net.node(1).reportUnreachable(3);
    net.tick(1, HEARTBEAT_TICK);
    restart(net, 3);
    expect(heartbeatsUntilContact(net, 1, 3, MAX_HEARTBEATS_TO_CONTACT)).to.be.at.most(MAX_HEARTBEATS_TO_CONTACT);
    expectCaughtUp(net, 3, 1);
    expect(net.snapshotsInstalled.get(3)!.length).to.be.greaterThan(0);
  });

  it('the follower restarts with a shorter log than the leader believed it had (unacknowledged appends lost)', () => {
    const net = cluster({ maxInflightMsgs: 64 });
    // 3 acknowledges nothing: appends reach it but every answer is lost, then it crashes
    // before persisting the last ones.
    net.filter = (m) => m.from !== 3;
    for (let i = 0; i < 6; i++) net.propose(1, `v${i}`);
    const kept = net.storage(3).lastIndex();
    const shorter = MemoryStorage.restore({
      hardState: { ...net.storage(3).getHardState(), commit: Math.min(net.storage(3).getHardState().commit, kept - 2) },
      entries: net.storage(3).entries(1, kept - 1, Infinity),
      confState: { voters: [1, 2, 3], learners: [] },
    });
    net.storages.set(3, shorter);
    restart(net, 3);
    expect(heartbeatsUntilContact(net, 1, 3, MAX_HEARTBEATS_TO_CONTACT)).to.be.at.most(MAX_HEARTBEATS_TO_CONTACT);
    expectCaughtUp(net, 3, 1);
  });

  it('the follower restarts in a higher term (it campaigned, then crashed before its votes left): one leader again', () => {
    const net = cluster();
    const leaderTerm = net.node(1).term;
    // 3 wins a pre-vote nobody else saw, becomes candidate at leaderTerm + 1, persists its
    // vote and dies before sending anything.
    crash(net, 3);
    const hs = net.storage(3).getHardState();
    net.storage(3).setHardState({ ...hs, term: leaderTerm + 1, vote: 3 });
    restart(net, 3);
    expect(net.node(3).term).to.equal(leaderTerm + 1);
    // The stale leader's heartbeat is answered with the higher term; the leader steps down and
    // a new election (pre-vote, leader stickiness) settles on a leader all three follow.
    for (let t = 0; t < 200 && !agreeOnLeader(net); t++) net.tickAll(1);
    expect(agreeOnLeader(net), 'members agree on a leader').to.equal(true);
    const leader = net.leaders()[0];
    net.propose(leader, 'after');
    for (const id of [1, 2, 3]) expect(net.appliedData(id).slice(-1)).to.deep.equal(['after']);
  });

  function compactLeader(net: Network, leader: number): void {
    const st = net.storage(leader);
    const applied = st.getHardState().commit;
    st.createSnapshot(applied, { voters: [1, 2, 3], learners: [] }, new Uint8Array([1]));
    st.compact(applied);
  }

  function agreeOnLeader(net: Network): boolean {
    const leaders = net.leaders();
    if (leaders.length !== 1) return false;
    return [1, 2, 3].every((id) => net.node(id).lead === leaders[0] && net.node(id).role !== StateRole.PreCandidate);
  }
});
