import { expect } from 'chai';
import { Network, bytes, text } from './test-network';
import { MessageType } from './types';

describe('raft ReadIndex (thesis §6.4, safe mode)', () => {
  it('§6.4 the leader answers with its commit index after a heartbeat quorum confirms leadership', () => {
    const net = Network.create([1, 2, 3]);
    net.elect(1);
    net.propose(1, 'a');
    const before = net.delivered.length;
    net.node(1).readIndex(bytes('req-1'));
    net.stabilize();
    const rs = net.readStates.get(1)!;
    expect(rs).to.have.length(1);
    expect(text(rs[0].requestCtx)).to.equal('req-1');
    expect(rs[0].index).to.equal(net.node(1).status().hardState.commit);
    const hb = net.delivered.slice(before).filter((m) => m.type === MessageType.Heartbeat);
    expect(hb.map((m) => text(m.context))).to.deep.equal(['req-1', 'req-1']);
  });

  it('§6.4 a follower’s request is forwarded to the leader and answered with the leader’s commit index', () => {
    const net = Network.create([1, 2, 3]);
    net.elect(1);
    net.propose(1, 'a');
    net.node(3).readIndex(bytes('from-3'));
    net.stabilize();
    const rs = net.readStates.get(3)!;
    expect(rs).to.have.length(1);
    expect(text(rs[0].requestCtx)).to.equal('from-3');
    expect(rs[0].index).to.equal(net.node(1).status().hardState.commit);
    expect(net.readStates.get(1)).to.have.length(0);
  });

  it('§6.4 a leader cut off from the quorum never answers (it may have been deposed)', () => {
    const net = Network.create([1, 2, 3]);
    net.elect(1);
    net.isolate(1);
    net.node(1).readIndex(bytes('stale'));
    net.tick(1, 5);
    expect(net.readStates.get(1)).to.have.length(0);
  });

  it('§6.4 a new leader defers reads until it has committed an entry of its own term', () => {
    const net = Network.create([1, 2, 3]);
    net.filter = (m) => m.type !== MessageType.App && m.type !== MessageType.AppResp;
    net.elect(1);
    expect(net.leaders()).to.deep.equal([1]);
    net.node(1).readIndex(bytes('early'));
    net.tick(1, 3);
    expect(net.readStates.get(1)).to.have.length(0);
    net.filter = undefined;
    net.tick(1, 2);
    const rs = net.readStates.get(1)!;
    expect(rs).to.have.length(1);
    expect(rs[0].index).to.equal(net.node(1).status().hardState.commit);
  });

  it('a single-member cluster answers reads without a heartbeat round', () => {
    const net = Network.create([1]);
    net.elect(1);
    net.node(1).readIndex(bytes('solo'));
    net.stabilize();
    expect(net.readStates.get(1)!.map((r) => text(r.requestCtx))).to.deep.equal(['solo']);
  });

  it('several pending reads are all answered by one confirming round', () => {
    const net = Network.create([1, 2, 3]);
    net.elect(1);
    net.isolate(2);
    net.isolate(3);
    for (const c of ['r1', 'r2', 'r3']) net.node(1).readIndex(bytes(c));
    net.stabilize();
    expect(net.readStates.get(1)).to.have.length(0);
    net.heal();
    net.tick(1); // a heartbeat carrying the newest context confirms all three
    expect(net.readStates.get(1)!.map((r) => text(r.requestCtx))).to.deep.equal(['r1', 'r2', 'r3']);
  });
});
