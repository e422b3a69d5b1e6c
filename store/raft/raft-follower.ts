/**
 * The follower's and (pre-)candidate's side of the raft core (etcd raft.go's stepCandidate /
 * stepFollower): vote tallying, forwarding to the leader, and accepting App, Heartbeat and Snap
 * messages. Plain functions over a {@link RaftCore}; internal to store/raft.
 */
import { ProgressTracker } from './progress-tracker';
import { ProposeResult } from './raft-config';
import type { RaftCore } from './raft-core';
import { bcastAppend } from './raft-leader';
import { applyConfState } from './raft-membership';
import { Message, MessageType, NONE, newMessage, Snapshot, StateRole } from './types';

/** Handles a message (other than Hup / Vote / PreVote) while this member is a (pre-)candidate. */
export function stepCandidate(r: RaftCore, m: Message): ProposeResult {
  const myVoteResp = r.state === StateRole.PreCandidate ? MessageType.PreVoteResp : MessageType.VoteResp;
  switch (m.type) {
    case MessageType.Prop:
      r.logger.debug(r.fields(), 'proposal dropped: no leader (candidate)');
      return 'not-leader';
    case MessageType.App:
      r.becomeFollower(m.term, m.from);
      handleAppendEntries(r, m);
      return 'ok';
    case MessageType.Heartbeat:
      r.becomeFollower(m.term, m.from);
      handleHeartbeat(r, m);
      return 'ok';
    case MessageType.Snap:
      r.becomeFollower(m.term, m.from);
      handleSnapshot(r, m);
      return 'ok';
    default:
      break;
  }
  if (m.type !== myVoteResp) return 'ok';
  const result = r.poll(m.from, !m.reject);
  switch (result) {
    case 'won':
      if (r.state === StateRole.PreCandidate) {
        r.campaign('election');
      } else {
        r.becomeLeader();
        bcastAppend(r);
      }
      return 'ok';
    case 'lost':
      // A rejection at a higher term already made us a follower in step().
      r.becomeFollower(r.term, NONE);
      return 'ok';
    case 'pending':
      return 'ok';
  }
}

/** Handles a message (other than Hup / Vote / PreVote) while this member is a follower. */
export function stepFollower(r: RaftCore, m: Message): ProposeResult {
  switch (m.type) {
    case MessageType.Prop:
      if (r.lead === NONE) {
        r.logger.debug(r.fields(), 'proposal dropped: no leader');
        return 'not-leader';
      }
      r.send({ ...m, to: r.lead, term: 0 });
      return 'ok';
    case MessageType.App:
      r.electionElapsed = 0;
      r.lead = m.from;
      handleAppendEntries(r, m);
      return 'ok';
    case MessageType.Heartbeat:
      r.electionElapsed = 0;
      r.lead = m.from;
      handleHeartbeat(r, m);
      return 'ok';
    case MessageType.Snap:
      r.electionElapsed = 0;
      r.lead = m.from;
      handleSnapshot(r, m);
      return 'ok';
    case MessageType.TransferLeader:
      if (r.lead === NONE) {
        r.logger.info(r.fields(), 'leadership transfer dropped: no leader');
        return 'ok';
      }
      r.send({ ...m, to: r.lead, term: 0 });
      return 'ok';
    case MessageType.TimeoutNow:
      r.logger.info(r.fields({ from: m.from }), 'received TimeoutNow; campaigning for leadership transfer');
      // A transfer never uses pre-vote: the old leader already vouched for us.
      r.hup('transfer');
      return 'ok';
    case MessageType.ReadIndex:
      if (r.lead === NONE) {
        r.logger.debug(r.fields(), 'read index dropped: no leader');
        return 'ok';
      }
      r.send({ ...m, to: r.lead, term: 0 });
      return 'ok';
    case MessageType.ReadIndexResp:
      if (m.entries.length !== 1) return 'ok';
      r.readStates.push({ index: m.index, requestCtx: m.entries[0].data });
      return 'ok';
    default:
      return 'ok';
  }
}

function handleAppendEntries(r: RaftCore, m: Message): void {
  if (m.index < r.raftLog.committed) {
    r.send(newMessage({ type: MessageType.AppResp, to: m.from, index: r.raftLog.committed }));
    return;
  }
  const lastNew = r.raftLog.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
  if (lastNew !== undefined) {
    r.send(newMessage({ type: MessageType.AppResp, to: m.from, index: lastNew }));
    return;
  }
  // Reject with a hint: the last index whose term is <= the leader's prev term, so the leader
  // can skip a whole term of conflicting entries per round trip.
  const hintIndex = Math.min(m.index, r.raftLog.lastIndex());
  const [rejectHint, hintTerm] = r.raftLog.findConflictByTerm(hintIndex, m.logTerm);
  r.logger.debug(r.fields({ from: m.from, index: m.index, logTerm: m.logTerm, rejectHint, hintTerm }), 'rejecting append');
  r.send(newMessage({ type: MessageType.AppResp, to: m.from, index: m.index, reject: true, rejectHint, logTerm: hintTerm }));
}

function handleHeartbeat(r: RaftCore, m: Message): void {
  if (m.commit > r.raftLog.lastIndex()) {
    r.logger.warn(r.fields({ from: m.from, commit: m.commit, lastIndex: r.raftLog.lastIndex() }), 'heartbeat commit index beyond our log; ignoring it');
  } else {
    r.raftLog.commitTo(m.commit);
  }
  r.send(newMessage({ type: MessageType.HeartbeatResp, to: m.from, context: m.context }));
}

function handleSnapshot(r: RaftCore, m: Message): void {
  const s = m.snapshot;
  if (s === undefined) return;
  if (restore(r, s)) {
    r.logger.info(r.fields({ index: s.metadata.index, snapTerm: s.metadata.term }), 'restored snapshot');
    r.send(newMessage({ type: MessageType.AppResp, to: m.from, index: r.raftLog.lastIndex() }));
  } else {
    r.send(newMessage({ type: MessageType.AppResp, to: m.from, index: r.raftLog.committed }));
  }
}

function restore(r: RaftCore, s: Snapshot): boolean {
  const { index, term, confState } = s.metadata;
  if (index <= r.raftLog.committed) return false;
  if (r.state !== StateRole.Follower) {
    // Defence in depth: only a follower of the sender may restore.
    r.logger.warn(r.fields(), 'non-follower asked to restore a snapshot');
    r.becomeFollower(r.term + 1, NONE);
    return false;
  }
  if (!confState.voters.includes(r.id) && !confState.learners.includes(r.id)) {
    // A member added after the leader's latest snapshot is not in its ConfState. Accept it
    // anyway (refusing would make the leader resend it forever); this member learns of its
    // own addition when it applies the ConfChange entry that follows the snapshot. Until
    // then it is not promotable, so it never campaigns.
    r.logger.info(r.fields({ index }), 'restoring a snapshot that predates this member');
  }
  if (r.raftLog.matchTerm(index, term)) {
    // We already have the entries; just fast-forward the commit index.
    r.raftLog.commitTo(index);
    return false;
  }
  r.raftLog.restore(s);
  r.trk = new ProgressTracker(r.trk.maxInflight);
  applyConfState(r, confState);
  const self = r.trk.progress.get(r.id);
  if (self !== undefined) self.maybeUpdate(self.next - 1);
  return true;
}
