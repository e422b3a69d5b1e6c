import { expect } from 'chai';
import { advanceElectionTicks, TickAdvanceTarget } from './election-tick-advance';

/** A member stand-in that counts ticks; peers become active when the test says. */
function target(voters: number[], active = new Set<number>()): TickAdvanceTarget & { ticks: number; active: Set<number>; stop: boolean } {
  const t = {
    selfId: 1,
    ticks: 0,
    active,
    stop: false,
    voters: () => voters,
    isActive: (id: number) => t.active.has(id),
    tick: () => void t.ticks++,
    stopped: () => t.stop,
  };
  return t;
}

describe('election tick advance at start (etcd --initial-election-tick-advance)', () => {
  it('a single voter advances electionTicks - 1: its next tick campaigns', async () => {
    const t = target([1]);
    expect(await advanceElectionTicks(t, { electionTicks: 10 })).to.equal(9);
    expect(t.ticks).to.equal(9);
  });

  it('with peers, advances electionTicks - 2 once one peer is heard from', async () => {
    const t = target([1, 2, 3]);
    setTimeout(() => t.active.add(3), 20);
    expect(await advanceElectionTicks(t, { electionTicks: 10, waitMs: 2_000, pollMs: 5 })).to.equal(8);
    expect(t.ticks).to.equal(8);
  });

  it('advances nothing when no peer answers within the wait', async () => {
    const t = target([1, 2, 3]);
    expect(await advanceElectionTicks(t, { electionTicks: 10, waitMs: 30, pollMs: 5 })).to.equal(0);
    expect(t.ticks).to.equal(0);
  });

  it('a learner (not among the voters) advances nothing', async () => {
    const t = target([2, 3], new Set([2, 3]));
    expect(await advanceElectionTicks(t, { electionTicks: 10 })).to.equal(0);
  });

  it('gives up when the member stops while waiting', async () => {
    const t = target([1, 2]);
    setTimeout(() => (t.stop = true), 10);
    expect(await advanceElectionTicks(t, { electionTicks: 10, waitMs: 2_000, pollMs: 5 })).to.equal(0);
  });
});
