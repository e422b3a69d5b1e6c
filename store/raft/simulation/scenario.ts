/**
 * One seeded simulation run: draws a fault profile from the seed, drives a {@link SimCluster}
 * through a few hundred random steps (ticks, deliveries, proposals, faults), runs the safety
 * checkers after every step, then heals everything and checks liveness.
 *
 * A run is a pure function of (seed, cluster size): no clock, no I/O, no global randomness.
 */

import { ConfChange, ConfChangeType, StateRole } from '../types';
import { ClusterStats, SimCluster, SimRaftSettings, SnapshotPolicy } from './cluster';
import { InvariantViolation, SafetyChecker, checkLogMatching, LogView } from './invariants';
import { Prng } from './prng';
import { DEFAULT_TRACE_TAIL, Trace } from './trace';

/** Default number of random steps per run (before the liveness phase). */
export const DEFAULT_STEPS = 400;

/** The liveness phase gives up after this many election timeouts' worth of ticks. */
export const LIVENESS_ELECTION_TIMEOUTS = 40;

/** Messages delivered per liveness round before the next tick, at most. */
export const LIVENESS_DELIVERIES_PER_ROUND = 400;

/** Steps between full pairwise Log Matching checks (it is also checked incrementally on every write). */
export const FULL_LOG_CHECK_EVERY = 25;

/** Path of the compiled test file, for replay commands. */
export const SIMULATION_TEST_JS = 'dist/store/raft/simulation/simulation.test.js';

/** Path of the compiled replay entry point. */
export const REPLAY_JS = 'dist/store/raft/simulation/replay.js';

/**
 * One planned membership change: remove a random voter; add a brand-new member as a voter,
 * or as a learner; promote the last learner added to a voter.
 */
export type MembershipOp = 'remove' | 'add' | 'add-learner' | 'promote';

/** The membership changes of one run, proposed one after another. */
export type MembershipPlan = MembershipOp[];

/** The plans a run draws from (empty = membership stays fixed). */
export const MEMBERSHIP_PLANS: readonly MembershipPlan[] = [
  [],
  [],
  [],
  ['remove'],
  ['add'],
  ['add-learner', 'promote'],
  ['remove', 'add'],
  ['add', 'remove'],
];

/** What a run's faults look like; drawn from the seed. */
export interface FaultProfile {
  raft: SimRaftSettings;
  snapshots: SnapshotPolicy;
  /** Probability that a delivery attempt drops the message instead. */
  dropRate: number;
  /** Probability that a delivered message also stays on the wire to arrive again later. */
  dupRate: number;
  /** Probability that the next delivery is a random in-flight message rather than the oldest. */
  reorderRate: number;
  /** Scales crash, partition and in-flight loss weights (0 = a fault-free network). */
  faultWeight: number;
  reportUnreachableRate: number;
  readWeight: number;
  transferWeight: number;
  /** Membership changes planned for this run, in order (see {@link MembershipOp}). */
  membership: MembershipPlan;
}

/** Options of one run. */
export interface RunOptions {
  seed: number;
  nodes: number;
  /** Random steps before the liveness phase; defaults to {@link DEFAULT_STEPS}. */
  steps?: number;
  /** Trace to record into (replay passes a keep-all trace); defaults to a tail ring. */
  trace?: Trace;
  /** Overrides applied to the drawn profile (tests of the harness itself). */
  profileOverrides?: Partial<FaultProfile>;
  /**
   * Harness self-test only: a crash also wipes the member's durable hard state (as if the
   * disk lied about fsync). Raft is not expected to survive this; the checkers must notice.
   */
  amnesia?: boolean;
}

/** What a run did, for suite summaries. */
export interface RunSummary {
  seed: number;
  nodes: number;
  /** Steps taken in total: the random steps plus the liveness phase. */
  steps: number;
  /** Steps the liveness phase needed to converge. */
  livenessSteps: number;
  /** Highest index committed anywhere. */
  commitIndex: number;
  /** Number of terms that had a leader. */
  terms: number;
  /** The membership plan, e.g. "remove+add" or "none". */
  membership: string;
  stats: ClusterStats;
}

/** A failed run: which seed, where, why, the command to replay it, and the trace tail. */
export class SimulationFailure extends Error {
  readonly name = 'SimulationFailure';
  constructor(
    readonly seed: number,
    readonly nodes: number,
    /** Random steps the run was configured with (part of what identifies it). */
    readonly steps: number,
    readonly step: number,
    readonly cause: unknown,
    readonly traceTail: string,
  ) {
    super(
      [
        `raft simulation failed: seed=${seed} nodes=${nodes} steps=${steps} at step ${step}: ${describeCause(cause)}`,
        `replay:     ${replayCommand(seed, nodes, steps)}`,
        `full trace: ${traceCommand(seed, nodes, steps)}`,
        `last ${DEFAULT_TRACE_TAIL} trace events:`,
        traceTail,
      ].join('\n'),
    );
  }
}

/** The liveness phase did not converge (no leader, or the final proposal did not commit everywhere). */
export class LivenessFailure extends Error {
  readonly name = 'LivenessFailure';
}

/**
 * The mocha command that replays exactly one run (`--no-config` keeps .mocharc.json from
 * adding every other test file in the repository).
 */
export function replayCommand(seed: number, nodes: number, steps: number = DEFAULT_STEPS): string {
  return `SIM_SEED=${seed} SIM_RUNS=1 SIM_NODES=${nodes} SIM_STEPS=${steps} npx mocha --no-config --enable-source-maps ${SIMULATION_TEST_JS}`;
}

/** The command that replays one run printing its full trace. */
export function traceCommand(seed: number, nodes: number, steps: number = DEFAULT_STEPS): string {
  return `node --enable-source-maps ${REPLAY_JS} --seed ${seed} --nodes ${nodes} --steps ${steps}`;
}

/** Draws a run's fault profile from its prng. */
export function drawProfile(prng: Prng, nodes: number): FaultProfile {
  const electionTick = prng.pick([3, 3, 5, 10]);
  return {
    raft: {
      electionTick,
      heartbeatTick: electionTick > 3 ? prng.pick([1, 1, 2]) : 1,
      preVote: prng.chance(0.5),
      checkQuorum: prng.chance(0.5),
      maxSizePerMsg: prng.pick([1, 64, 1024 * 1024]),
      maxInflightMsgs: prng.pick([1, 4, 256]),
      maxUncommittedEntriesSize: prng.chance(0.2) ? 256 : undefined,
    },
    snapshots: { every: prng.pick([0, 3, 8, 20]), keep: prng.pick([0, 0, 2, 5]), afterConfChange: prng.chance(0.5) },
    dropRate: prng.pick([0, 0, 0.03, 0.1, 0.25]),
    dupRate: prng.pick([0, 0.02, 0.1]),
    reorderRate: prng.pick([0, 0.3, 1]),
    faultWeight: prng.pick([0, 0.3, 0.6, 1]),
    reportUnreachableRate: prng.pick([0, 0.3]),
    readWeight: prng.pick([0, 1, 3]),
    transferWeight: prng.pick([0, 0.3, 1]),
    membership: prng.pick(MEMBERSHIP_PLANS).slice(),
  };
}

/**
 * Runs one seeded simulation. Returns a summary, or throws {@link SimulationFailure} carrying
 * the seed, the replay command and the last trace events.
 */
export function runSimulation(opts: RunOptions): RunSummary {
  const trace = opts.trace ?? new Trace(DEFAULT_TRACE_TAIL);
  const sim = new Simulation(opts, trace);
  try {
    return sim.run();
  } catch (err) {
    throw new SimulationFailure(opts.seed, opts.nodes, opts.steps ?? DEFAULT_STEPS, sim.step, err, trace.format(DEFAULT_TRACE_TAIL));
  }
}

type Action = () => void;

class Simulation {
  step = 0;
  private readonly prng: Prng;
  private readonly profile: FaultProfile;
  private readonly cluster: SimCluster;
  private readonly checker = new SafetyChecker();
  private readonly steps: number;
  private commands = 0;
  /** Step at which the next planned membership change is first proposed (-1: none left). */
  private membershipAt: number;
  /** Index into the membership plan of the next change to propose. */
  private membershipNext = 0;
  /** The last learner added (the target of a 'promote'). */
  private lastLearner = 0;
  /** Global ticks so far (the virtual clock that fault durations are measured in). */
  private ticks = 0;
  /** Tick at which the current network faults heal, if any are in place. */
  private healAtTick: number | undefined;
  /** Tick at which each crashed member comes back. */
  private readonly restartAtTick = new Map<number, number>();

  constructor(
    private readonly opts: RunOptions,
    trace: Trace,
  ) {
    this.prng = new Prng(opts.seed);
    this.profile = { ...drawProfile(this.prng.fork(1), opts.nodes), ...opts.profileOverrides };
    this.steps = opts.steps ?? DEFAULT_STEPS;
    this.membershipAt = this.profile.membership.length === 0 ? -1 : this.prng.range(Math.floor(this.steps / 10), Math.floor(this.steps / 2));
    const ids = Array.from({ length: opts.nodes }, (_, i) => i + 1);
    trace.add(0, `seed=${opts.seed} nodes=${opts.nodes} profile=${JSON.stringify(this.profile)}`);
    this.cluster = new SimCluster({
      ids,
      raft: this.profile.raft,
      snapshots: this.profile.snapshots,
      prng: this.prng.fork(2),
      trace,
      checker: this.checker,
      reportUnreachableRate: this.profile.reportUnreachableRate,
      amnesia: opts.amnesia,
    });
  }

  run(): RunSummary {
    for (this.step = 1; this.step <= this.steps; this.step++) {
      this.cluster.now = this.step;
      this.randomStep();
      this.cluster.afterStep();
      if (this.step % FULL_LOG_CHECK_EVERY === 0) checkLogMatching(this.durableLogs());
    }
    const livenessSteps = this.liveness();
    checkLogMatching(this.durableLogs());
    return {
      seed: this.opts.seed,
      nodes: this.opts.nodes,
      steps: this.step,
      livenessSteps,
      commitIndex: this.checker.commitIndex,
      terms: this.checker.leaderHistory().length,
      membership: this.profile.membership.length === 0 ? 'none' : this.profile.membership.join('+'),
      stats: this.cluster.stats,
    };
  }

  private durableLogs(): Map<number, LogView> {
    const logs = new Map<number, LogView>();
    for (const m of this.cluster.members.values()) logs.set(m.id, m.storage);
    return logs;
  }

  /** Picks and performs one random input or fault. */
  private randomStep(): void {
    const c = this.cluster;
    const p = this.profile;
    const prng = this.prng;
    const running = c.runningIds();
    const crashed = c.crashedIds();
    const inFlight = c.network.size;
    const fw = p.faultWeight;
    const leader = c.leader();

    // Faults last a while (measured in ticks, so a majority has time to elect a leader and
    // a deposed one time to accept doomed writes), then are repaired.
    if (this.healAtTick !== undefined && this.ticks >= this.healAtTick) return this.heal();
    for (const id of crashed) {
      const at = this.restartAtTick.get(id);
      if (at === undefined) {
        this.restartAtTick.set(id, this.ticks + this.faultTicks());
      } else if (this.ticks >= at) {
        this.restartAtTick.delete(id);
        return c.restart(id);
      }
    }

    // The planned membership change: first try at membershipAt, then now and then until the
    // leader accepts it (it refuses while an earlier change is unapplied).
    if (this.membershipAt >= 0 && (this.step === this.membershipAt || (this.step > this.membershipAt && prng.chance(0.05)))) {
      if (this.tryMembershipChange()) return;
    }

    const actions: Array<[number, Action]> = [
      [inFlight > 0 ? 4 + 2 * inFlight : 0, () => this.deliverRandom()],
      [running.length > 0 ? 5 : 0, () => this.tickAll()],
      [running.length > 0 ? 2 : 0, () => c.tick(prng.pick(running))],
      [running.length > 0 ? (leader ? 4 : 1) : 0, () => this.proposeRandom()],
      [running.length > 0 ? p.readWeight : 0, () => c.readIndex(this.clientTarget())],
      [leader ? p.transferWeight : 0, () => this.transferRandom()],
      [running.length > 0 ? 0.5 : 0, () => c.campaign(prng.pick(running))],
      [running.length > 0 ? 0.15 * fw : 0, () => c.crash(leader && prng.chance(0.6) ? leader.id : prng.pick(running))],
      [running.length > 0 ? 0.1 * fw : 0, () => c.armCrash(prng.pick(running), prng.pick(['before-send', 'before-apply'] as const))],
      [crashed.length > 0 ? 0.3 : 0, () => this.restartRandom(crashed)],
      [c.network.cutCount === 0 ? 0.2 * fw : 0.02 * fw, () => this.partitionSymmetric()],
      [c.network.cutCount === 0 ? 0.1 * fw : 0.02 * fw, () => this.cutOneWay()],
      [c.network.cutCount === 0 ? 0.2 * fw : 0.02 * fw, () => this.isolate()],
      [c.network.cutCount > 0 ? 0.2 : 0, () => this.heal()],
      [inFlight > 0 ? 0.3 * fw : 0, () => this.dropInFlight()],
      [inFlight > 0 ? 0.3 * fw : 0, () => this.duplicateInFlight()],
      [running.length > 0 ? 0.3 : 0, () => c.snapshotNow(prng.pick(running))],
    ];
    const i = prng.weighted(actions.map((a) => a[0]));
    actions[i][1]();
  }

  /** How long a fault lasts, in ticks: one to five election timeouts. */
  private faultTicks(): number {
    const e = this.profile.raft.electionTick;
    return this.prng.range(e, 5 * e);
  }

  private tickAll(): void {
    this.ticks++;
    this.cluster.tickAll();
  }

  private restartRandom(crashed: number[]): void {
    const id = this.prng.pick(crashed);
    this.restartAtTick.delete(id);
    this.cluster.restart(id);
  }

  /** Schedules the heal of freshly cut links (the earliest pending heal wins). */
  private scheduleHeal(): void {
    if (this.healAtTick === undefined) this.healAtTick = this.ticks + this.faultTicks();
  }

  /**
   * Delivers one in-flight message: the oldest, or (reordering) any. Messages that cannot
   * arrive (cut link, destination down) are discarded on the way without using up the step,
   * so an isolated member's flood of doomed messages does not stall the virtual clock.
   */
  private deliverRandom(): void {
    const c = this.cluster;
    const p = this.profile;
    while (c.network.size > 0) {
      const size = c.network.size;
      const pos = this.prng.chance(p.reorderRate) ? this.prng.int(size) : 0;
      if (c.isDoomed(pos)) {
        c.deliver(pos);
        continue;
      }
      const drop = this.prng.chance(p.dropRate);
      const dup = !drop && this.prng.chance(p.dupRate) ? this.prng.int(size) : undefined;
      c.deliver(pos, drop, dup);
      return;
    }
  }

  private proposeRandom(): void {
    this.cluster.propose(this.clientTarget(), `cmd-${++this.commands}`);
  }

  /**
   * Where a client sends a request: usually a member that believes it leads (a deposed,
   * partitioned leader included, as a real client would), otherwise any running member.
   */
  private clientTarget(): number {
    const c = this.cluster;
    const running = c.runningIds();
    const leaders = running.filter((id) => c.member(id).raft.role === StateRole.Leader);
    return leaders.length > 0 && this.prng.chance(0.75) ? this.prng.pick(leaders) : this.prng.pick(running);
  }

  private transferRandom(): void {
    const c = this.cluster;
    const leader = c.leader()!;
    const others = leader.confState.voters.filter((id) => id !== leader.id);
    if (others.length === 0) return;
    c.transferLeadership(leader.id, this.prng.pick(others));
  }

  /**
   * Proposes the next planned membership change at the leader. Returns true if a proposal
   * was made (the step is used up); once one is accepted the next is scheduled a while later.
   */
  private tryMembershipChange(): boolean {
    const c = this.cluster;
    const leader = c.leader();
    if (!leader) return false;
    const op = this.profile.membership[this.membershipNext];
    const voters = leader.confState.voters;
    const newId = Math.max(...c.ids()) + 1;
    let cc: ConfChange;
    switch (op) {
      case 'remove':
        if (voters.length <= 2) return false;
        cc = { type: ConfChangeType.RemoveNode, nodeId: this.prng.pick(voters), context: new Uint8Array(0) };
        break;
      case 'add':
        cc = { type: ConfChangeType.AddNode, nodeId: newId, context: new Uint8Array(0) };
        break;
      case 'add-learner':
        cc = { type: ConfChangeType.AddLearnerNode, nodeId: newId, context: new Uint8Array(0) };
        break;
      case 'promote':
        if (this.lastLearner === 0) return false;
        cc = { type: ConfChangeType.AddNode, nodeId: this.lastLearner, context: new Uint8Array(0) };
        break;
    }
    if (c.proposeConfChange(leader.id, cc) === 'ok') {
      if (op === 'add-learner') this.lastLearner = newId;
      this.membershipNext++;
      this.membershipAt = this.membershipNext < this.profile.membership.length ? this.step + this.prng.range(20, Math.max(21, Math.floor(this.steps / 4))) : -1;
    }
    return true;
  }

  /** Splits the members in two groups; usually the leader ends up in the minority. */
  private partitionSymmetric(): void {
    const c = this.cluster;
    const ids = this.prng.shuffled(c.ids());
    const leader = c.leader();
    if (leader && this.prng.chance(0.6)) {
      ids.splice(ids.indexOf(leader.id), 1);
      ids.unshift(leader.id);
    }
    const k = this.prng.range(1, Math.max(1, Math.floor((ids.length - 1) / 2)));
    const a = ids.slice(0, k);
    const b = ids.slice(k);
    for (const x of a) for (const y of b) {
      c.network.cutLink(x, y);
      c.network.cutLink(y, x);
    }
    this.scheduleHeal();
    c.log(`PARTITION [${a.sort()}] | [${b.sort()}]`);
  }

  private cutOneWay(): void {
    const c = this.cluster;
    const ids = c.ids();
    const from = this.prng.pick(ids);
    const to = this.prng.pick(ids.filter((x) => x !== from));
    c.network.cutLink(from, to);
    this.scheduleHeal();
    c.log(`CUT ${from} -> ${to} (one way)`);
  }

  private isolate(): void {
    const c = this.cluster;
    const ids = c.ids();
    const leader = c.leader();
    const x = leader && this.prng.chance(0.6) ? leader.id : this.prng.pick(ids);
    const mode = this.prng.pick(['both', 'both', 'in', 'out'] as const);
    for (const y of ids) {
      if (y === x) continue;
      if (mode !== 'in') c.network.cutLink(x, y);
      if (mode !== 'out') c.network.cutLink(y, x);
    }
    this.scheduleHeal();
    c.log(`ISOLATE ${x} (${mode})`);
  }

  private heal(): void {
    this.healAtTick = undefined;
    this.cluster.network.heal();
    this.cluster.log('HEAL');
  }

  private dropInFlight(): void {
    const c = this.cluster;
    c.deliver(this.prng.int(c.network.size), true);
  }

  private duplicateInFlight(): void {
    const c = this.cluster;
    const pos = this.prng.int(c.network.size);
    const f = c.network.peek(pos);
    c.network.duplicate(f, this.prng.int(c.network.size + 1));
    c.stats.duplicated++;
    c.log(`DUP in flight #${f.seq}`);
  }

  /**
   * Heals the network, restarts crashed members, and runs fault-free (FIFO delivery, global
   * ticks) until a leader exists and a final proposal is applied by every member of its
   * configuration. Returns the number of steps taken; throws {@link LivenessFailure}.
   */
  private liveness(): number {
    const c = this.cluster;
    const start = this.step;
    const next = (): void => {
      this.step++;
      c.now = this.step;
    };
    next();
    c.log('=== liveness phase: heal, restart everything, no faults ===');
    c.network.heal();
    c.disarmCrashes();
    for (const id of c.crashedIds()) c.restart(id);
    c.afterStep();

    const finalCmd = 'final';
    let proposedAt = -Infinity;
    const maxRounds = LIVENESS_ELECTION_TIMEOUTS * this.profile.raft.electionTick;
    for (let round = 0; round < maxRounds; round++) {
      for (let k = 0; k < LIVENESS_DELIVERIES_PER_ROUND && c.network.size > 0; k++) {
        next();
        c.deliver(0);
        c.afterStep();
      }
      const leader = c.leader();
      if (leader && this.finalAppliedEverywhere(leader.id, finalCmd)) return this.step - start;
      if (leader && round - proposedAt >= 3 * this.profile.raft.electionTick) {
        next();
        c.propose(leader.id, finalCmd);
        proposedAt = round;
        c.afterStep();
        continue;
      }
      next();
      c.tickAll();
      c.afterStep();
    }
    throw new LivenessFailure(
      `no convergence after ${maxRounds} fault-free ticks: ${this.describeMembers()}`,
    );
  }

  private finalAppliedEverywhere(leaderId: number, cmd: string): boolean {
    const c = this.cluster;
    const cs = c.member(leaderId).confState;
    for (const id of [...cs.voters, ...cs.learners]) {
      const m = c.members.get(id);
      if (!m || m.state !== 'running') return false;
      if (!m.sm.all().some((r) => r.data === cmd)) return false;
    }
    return true;
  }

  private describeMembers(): string {
    const c = this.cluster;
    return c
      .ids()
      .map((id) => {
        const m = c.member(id);
        if (m.state !== 'running') return `${id}:${m.state}`;
        const n = m.raft;
        return `${id}:${StateRole[n.role]} term=${n.term} lead=${n.lead} commit=${m.commit} applied=${m.sm.appliedIndex} voters=[${m.confState.voters}]`;
      })
      .join('; ');
  }
}

function describeCause(err: unknown): string {
  if (err instanceof InvariantViolation || err instanceof LivenessFailure) return err.message;
  if (err instanceof Error) return `${err.name}: ${err.message}\n${err.stack ?? ''}`;
  return String(err);
}
