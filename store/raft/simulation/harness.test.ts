/**
 * Tests of the simulation harness itself: runs are reproducible from their seed, failures
 * carry what is needed to replay them, the end-to-end pipeline (cluster → member loop →
 * checkers) catches a real durability bug, and a scripted stale-leader read stays safe.
 */

import { expect } from 'chai';
import { SimCluster } from './cluster';
import { InvariantViolation, SafetyChecker } from './invariants';
import { Prng } from './prng';
import { replaySeed } from './replay';
import { replayCommand, runSimulation, SimulationFailure } from './scenario';
import { Trace } from './trace';

function fullTrace(): Trace {
  return new Trace(Number.MAX_SAFE_INTEGER, true);
}

/** Delivers every in-flight message, oldest first, until the network is quiet. */
function settle(c: SimCluster): void {
  for (let i = 0; i < 10_000 && c.network.size > 0; i++) {
    c.deliver(0);
    c.afterStep();
  }
  expect(c.network.size, 'network did not settle').to.equal(0);
}

describe('simulation harness (self-test)', function () {
  this.timeout(120_000);

  it('a run is a pure function of its seed: same seed, same trace and summary', () => {
    const a = fullTrace();
    const b = fullTrace();
    const ra = runSimulation({ seed: 4242, nodes: 5, trace: a });
    const rb = runSimulation({ seed: 4242, nodes: 5, trace: b });
    expect(rb).to.deep.equal(ra);
    expect(b.format()).to.equal(a.format());
    expect(a.count).to.be.greaterThan(100);
  });

  it('different seeds explore different schedules', () => {
    const a = fullTrace();
    const b = fullTrace();
    runSimulation({ seed: 1, nodes: 3, trace: a });
    runSimulation({ seed: 2, nodes: 3, trace: b });
    expect(b.format()).to.not.equal(a.format());
  });

  it('replaySeed keeps every event of the run', () => {
    const r = replaySeed(7, 3);
    expect(r.failure).to.equal(undefined);
    expect(r.summary?.seed).to.equal(7);
    expect(r.trace.events()).to.have.length(r.trace.count);
  });

  it('catches members that forget their vote on a crash (a lying fsync), with seed and replay command', () => {
    const failures: SimulationFailure[] = [];
    for (let seed = 1; seed <= 100; seed++) {
      try {
        runSimulation({ seed, nodes: 3, amnesia: true, profileOverrides: { faultWeight: 1 } });
      } catch (err) {
        expect(err).to.be.instanceOf(SimulationFailure);
        failures.push(err as SimulationFailure);
      }
    }
    expect(failures.length, 'amnesia went unnoticed in every run').to.be.greaterThan(0);
    for (const f of failures) {
      expect(f.cause).to.be.instanceOf(InvariantViolation);
      expect(f.message).to.contain(`seed=${f.seed}`);
      expect(f.message).to.contain(replayCommand(f.seed, 3));
      expect(f.traceTail.split('\n').length).to.be.within(1, 50);
    }
  });

  it('a deposed leader cut off from the majority answers no read below the new commit index', () => {
    const checker = new SafetyChecker();
    const c = new SimCluster({
      ids: [1, 2, 3],
      raft: { electionTick: 5, heartbeatTick: 1, preVote: false, checkQuorum: false, maxSizePerMsg: 1 << 20, maxInflightMsgs: 8 },
      snapshots: { every: 0, keep: 0, afterConfChange: false },
      prng: new Prng(99),
      trace: new Trace(),
      checker,
      reportUnreachableRate: 0,
    });
    c.campaign(1);
    settle(c);
    expect(c.propose(1, 'before-partition')).to.equal('ok');
    settle(c);
    for (const other of [2, 3]) {
      c.network.cutLink(1, other);
      c.network.cutLink(other, 1);
    }
    c.campaign(2);
    settle(c);
    expect(c.member(2).raft.term).to.be.greaterThan(c.member(1).raft.term);
    expect(c.propose(2, 'after-partition')).to.equal('ok');
    settle(c);
    const floor = checker.commitIndex;
    // Member 1 still believes it leads (no check-quorum); its read must not be answered
    // with its stale commit index. The checker throws if it is.
    c.readIndex(1);
    settle(c);
    for (let i = 0; i < 20; i++) {
      c.tickAll();
      settle(c);
    }
    expect(checker.commitIndex).to.be.at.least(floor);
  });
});
