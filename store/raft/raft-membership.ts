/**
 * Membership changes of the raft core: adopting a ConfState and applying committed ConfChanges
 * to the progress tracker. Plain functions over a {@link RaftCore}; internal to store/raft.
 */
import { RaftInvariantError } from './errors';
import { Progress } from './progress';
import type { RaftCore } from './raft-core';
import { abortLeaderTransfer, bcastAppend, maybeCommit, maybeSendAppend, releasePendingReadIndexMessages } from './raft-leader';
import { ConfChange, ConfChangeType, ConfState, NONE, StateRole } from './types';

function assertNever(x: never, what: string): never {
  throw new RaftInvariantError(what, { value: x });
}

/** Adopts a whole membership (at start-up or from a snapshot) on top of the current tracker. */
export function applyConfState(r: RaftCore, cs: ConfState): void {
  for (const id of cs.voters) addVoter(r, id);
  for (const id of cs.learners) addLearner(r, id);
  r.isLearner = r.trk.learners.has(r.id);
}

function newProgress(r: RaftCore, isLearner: boolean): Progress {
  const pr = new Progress(r.trk.maxInflight, isLearner, r.raftLog.lastIndex() + 1);
  // A new member counts as active so check-quorum does not step down at once.
  pr.recentActive = true;
  return pr;
}

/** Makes `id` a voter, tracking its progress if it is new (a learner is promoted). */
export function addVoter(r: RaftCore, id: number): void {
  const pr = r.trk.progress.get(id);
  if (pr === undefined) {
    r.trk.progress.set(id, newProgress(r, false));
  } else {
    pr.isLearner = false;
  }
  r.trk.learners.delete(id);
  r.trk.voters.add(id);
}

function addLearner(r: RaftCore, id: number): void {
  const pr = r.trk.progress.get(id);
  if (pr === undefined) {
    r.trk.progress.set(id, newProgress(r, true));
  } else {
    pr.isLearner = true;
  }
  r.trk.voters.delete(id);
  r.trk.learners.add(id);
}

function removeMember(r: RaftCore, id: number): void {
  r.trk.voters.delete(id);
  r.trk.learners.delete(id);
  r.trk.progress.delete(id);
}

/** Applies a committed membership change; returns the new membership. */
export function applyConfChange(r: RaftCore, cc: ConfChange): ConfState {
  if (cc.nodeId === NONE) return r.confState();
  switch (cc.type) {
    case ConfChangeType.AddNode:
      addVoter(r, cc.nodeId);
      break;
    case ConfChangeType.AddLearnerNode:
      addLearner(r, cc.nodeId);
      break;
    case ConfChangeType.RemoveNode:
      removeMember(r, cc.nodeId);
      break;
    default:
      return assertNever(cc.type, 'unknown conf change type');
  }
  r.isLearner = r.trk.learners.has(r.id);
  const cs = r.confState();
  r.logger.info(r.fields({ type: ConfChangeType[cc.type], nodeId: cc.nodeId, voters: cs.voters, learners: cs.learners }), 'applied conf change');
  if (cs.voters.length === 0) r.logger.warn(r.fields(), 'membership has no voters left');
  if (r.state !== StateRole.Leader) return cs;
  if (!r.trk.voters.has(r.id)) {
    r.logger.info(r.fields(), 'leader removed or demoted; stepping down');
    r.becomeFollower(r.term, NONE);
    return cs;
  }
  // The quorum may have changed: commit what it allows now, and feed new members.
  if (maybeCommit(r)) {
    releasePendingReadIndexMessages(r);
    bcastAppend(r);
  } else {
    r.trk.visit((id) => {
      if (id !== r.id) maybeSendAppend(r, id, false);
    });
  }
  if (r.leadTransferee !== NONE && !r.trk.voters.has(r.leadTransferee)) abortLeaderTransfer(r);
  return cs;
}
