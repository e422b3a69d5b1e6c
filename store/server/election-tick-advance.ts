/**
 * Fast-forwards raft's election clock when a member starts, as etcd does by default
 * (`--initial-election-tick-advance=true`). Without it, a member that starts (or restarts) sits
 * out a whole election timeout before it may campaign, so a fresh cluster waits one to two
 * seconds for its first leader for nothing.
 *
 * The rules, etcd's:
 * - a member that is the only voter advances `electionTicks - 1` ticks at once: its next tick
 *   elects it;
 * - otherwise it waits (bounded) until it hears from at least one peer, then advances
 *   `electionTicks - 2` ticks, leaving two ticks to hear from a leader that may already exist
 *   before it campaigns. Pre-vote and the leader lease keep a restarted member from disrupting
 *   a healthy leader even then;
 * - hearing from no peer within the wait, it advances nothing (a lone member of a larger
 *   cluster must not rush an election nobody answers).
 */

/** How long a starting member waits to hear from a peer before giving up the advance (etcd: its peer connection read timeout). */
export const TICK_ADVANCE_WAIT_MS = 5_000;
/** How often it looks for an active peer meanwhile. */
export const TICK_ADVANCE_POLL_MS = 50;

/** What the advance needs from the member. */
export interface TickAdvanceTarget {
  /** This member's id. */
  selfId: number;
  /** The voting members' ids (this one included when it votes). */
  voters(): number[];
  /** Whether a peer has been heard from recently (the peer transport's view). */
  isActive(peerId: number): boolean;
  /** Advances raft's logical clock by one tick. */
  tick(): void;
  /** True once the member is stopping: the advance gives up. */
  stopped(): boolean;
}

/** Options with defaults for production; tests shorten the wait. */
export interface TickAdvanceOptions {
  electionTicks: number;
  waitMs?: number;
  pollMs?: number;
}

/** Advances the election clock as described above; resolves with the number of ticks advanced. */
export async function advanceElectionTicks(target: TickAdvanceTarget, options: TickAdvanceOptions): Promise<number> {
  const voters = target.voters();
  if (!voters.includes(target.selfId)) return 0; // a learner never campaigns
  const peers = voters.filter((id) => id !== target.selfId);
  if (peers.length === 0) return advance(target, options.electionTicks - 1);
  const deadline = Date.now() + (options.waitMs ?? TICK_ADVANCE_WAIT_MS);
  const pollMs = options.pollMs ?? TICK_ADVANCE_POLL_MS;
  while (!target.stopped() && Date.now() < deadline) {
    if (peers.some((id) => target.isActive(id))) return advance(target, options.electionTicks - 2);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  return 0;
}

function advance(target: TickAdvanceTarget, ticks: number): number {
  if (target.stopped()) return 0;
  const n = Math.max(0, ticks);
  for (let i = 0; i < n; i++) target.tick();
  return n;
}
