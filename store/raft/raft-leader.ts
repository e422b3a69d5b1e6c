/**
 * The leader's side of the raft core (etcd raft.go's stepLeader and the send helpers):
 * replication and snapshots to followers, heartbeats, proposals, ReadIndex, append / heartbeat
 * responses, leadership transfer and commit advancement. Plain functions over a {@link RaftCore};
 * internal to store/raft.
 */
import { RaftInvariantError } from './errors';
import { Progress } from './progress';
import { ProposeResult } from './raft-config';
import type { RaftCore } from './raft-core';
import { SnapshotTemporarilyUnavailableError } from './storage';
import { Entry, EntryType, Message, MessageType, NONE, newMessage, Snapshot } from './types';

const EMPTY = new Uint8Array(0);

/** Sends an App with entries (or an empty one when sendIfEmpty) to `to`; a snapshot if needed. */
export function maybeSendAppend(r: RaftCore, to: number, sendIfEmpty: boolean): boolean {
  const pr = r.trk.progress.get(to);
  if (pr === undefined || pr.isPaused()) return false;
  const prevIndex = pr.next - 1;
  const prevTerm = r.raftLog.term(prevIndex);
  // The follower needs entries we compacted away: only a snapshot can catch it up.
  if (prevTerm === undefined || pr.next < r.raftLog.firstIndex()) return maybeSendSnapshot(r, to, pr);
  const ents = r.raftLog.entries(pr.next, r.maxMsgSize);
  if (ents.length === 0 && !sendIfEmpty) return false;
  r.send(
    newMessage({
      type: MessageType.App,
      to,
      index: prevIndex,
      logTerm: prevTerm,
      entries: ents,
      commit: r.raftLog.committed,
    }),
  );
  pr.sentEntries(ents.length, ents.length > 0 ? ents[ents.length - 1].index : prevIndex);
  return true;
}

function sendAppend(r: RaftCore, to: number): void {
  maybeSendAppend(r, to, true);
}

function maybeSendSnapshot(r: RaftCore, to: number, pr: Progress): boolean {
  if (!pr.recentActive) {
    r.logger.debug(r.fields({ to }), 'not sending snapshot to a recently inactive follower');
    return false;
  }
  let snapshot: Snapshot;
  try {
    snapshot = r.raftLog.snapshot();
  } catch (e) {
    if (e instanceof SnapshotTemporarilyUnavailableError) {
      r.logger.debug(r.fields({ to }), 'snapshot temporarily unavailable; will retry');
      return false;
    }
    throw e;
  }
  if (snapshot.metadata.index === 0) {
    throw new RaftInvariantError('need a non-empty snapshot to catch up a follower', { to, firstIndex: r.raftLog.firstIndex() });
  }
  r.logger.info(r.fields({ to, snapshotIndex: snapshot.metadata.index, match: pr.match }), 'sending snapshot');
  pr.becomeSnapshot(snapshot.metadata.index);
  r.send(newMessage({ type: MessageType.Snap, to, snapshot }));
  return true;
}

function sendHeartbeat(r: RaftCore, to: number, ctx: Uint8Array): void {
  const pr = r.trk.progress.get(to);
  const commit = Math.min(pr?.match ?? 0, r.raftLog.committed);
  r.send(newMessage({ type: MessageType.Heartbeat, to, commit, context: ctx }));
}

/** Sends an App (possibly empty) to every other member. */
export function bcastAppend(r: RaftCore): void {
  r.trk.visit((id) => {
    if (id !== r.id) sendAppend(r, id);
  });
}

function bcastHeartbeat(r: RaftCore): void {
  bcastHeartbeatWithCtx(r, r.readOnly.lastPendingRequestCtx() ?? EMPTY);
}

function bcastHeartbeatWithCtx(r: RaftCore, ctx: Uint8Array): void {
  r.trk.visit((id) => {
    if (id !== r.id) sendHeartbeat(r, id, ctx);
  });
}

function sendTimeoutNow(r: RaftCore, to: number): void {
  r.send(newMessage({ type: MessageType.TimeoutNow, to }));
}

/** Handles a message (other than Hup / Vote / PreVote) while this member is the leader. */
export function stepLeader(r: RaftCore, m: Message): ProposeResult {
  switch (m.type) {
    case MessageType.Beat:
      bcastHeartbeat(r);
      return 'ok';
    case MessageType.CheckQuorum:
      if (!r.trk.quorumActive(r.id)) {
        r.logger.warn(r.fields(), 'stepping down: no quorum heard from within an election timeout');
        r.becomeFollower(r.term, NONE);
      }
      r.trk.visit((id, pr) => {
        if (id !== r.id) pr.recentActive = false;
      });
      return 'ok';
    case MessageType.Prop:
      return leaderPropose(r, m);
    case MessageType.ReadIndex:
      leaderReadIndex(r, m);
      return 'ok';
    default:
      break;
  }

  const pr = r.trk.progress.get(m.from);
  if (pr === undefined) {
    r.logger.debug(r.fields({ from: m.from, type: MessageType[m.type] }), 'ignoring message from an unknown member');
    return 'ok';
  }
  switch (m.type) {
    case MessageType.AppResp:
      handleAppendResponse(r, m, pr);
      return 'ok';
    case MessageType.HeartbeatResp:
      handleHeartbeatResponse(r, m, pr);
      return 'ok';
    case MessageType.SnapStatus:
      if (pr.state !== 'snapshot') return 'ok';
      if (m.reject) r.logger.warn(r.fields({ to: m.from }), 'snapshot failed to send; probing');
      pr.becomeProbe();
      // Wait for the follower's answer (or a heartbeat response) before the next probe.
      pr.probeSent = true;
      return 'ok';
    case MessageType.Unreachable:
      // Optimistic replication probably lost messages; fall back to probing.
      if (pr.state === 'replicate') pr.becomeProbe();
      return 'ok';
    case MessageType.TransferLeader:
      handleTransferLeader(r, m, pr);
      return 'ok';
    default:
      return 'ok';
  }
}

function leaderPropose(r: RaftCore, m: Message): ProposeResult {
  if (m.entries.length === 0) return 'dropped';
  if (!r.trk.progress.has(r.id)) {
    r.logger.debug(r.fields(), 'proposal dropped: this leader was removed from the cluster');
    return 'dropped';
  }
  if (r.leadTransferee !== NONE) {
    r.logger.debug(r.fields({ transferee: r.leadTransferee }), 'proposal dropped: leadership transfer in progress');
    return 'dropped';
  }
  const ents: Entry[] = m.entries.map((e) => ({ term: 0, index: 0, type: e.type, data: e.data }));
  let confIndex: number | undefined;
  const lastIndex = r.raftLog.lastIndex();
  for (let i = 0; i < ents.length; i++) {
    if (ents[i].type !== EntryType.ConfChange) continue;
    if (r.pendingConfIndex > r.raftLog.applied || confIndex !== undefined) {
      r.logger.info(r.fields({ pendingConfIndex: r.pendingConfIndex, applied: r.raftLog.applied }), 'conf change refused: another one is pending');
      if (ents.length === 1) return 'dropped';
      ents[i] = { term: 0, index: 0, type: EntryType.Normal, data: EMPTY };
    } else {
      confIndex = lastIndex + i + 1;
    }
  }
  if (!r.appendEntry(ents)) return 'dropped';
  if (confIndex !== undefined) r.pendingConfIndex = confIndex;
  bcastAppend(r);
  return 'ok';
}

function committedEntryInCurrentTerm(r: RaftCore): boolean {
  return r.raftLog.term(r.raftLog.committed) === r.term;
}

function leaderReadIndex(r: RaftCore, m: Message): void {
  if (m.entries.length !== 1) return;
  // A new leader does not know the commit index until an entry of its term commits
  // (thesis §6.4); hold the request until then.
  if (!committedEntryInCurrentTerm(r)) {
    r.pendingReadIndexMessages.push(m);
    return;
  }
  sendReadIndexResponse(r, m);
}

function sendReadIndexResponse(r: RaftCore, m: Message): void {
  if (r.trk.isSingleton()) {
    respondToReadIndex(r, m, r.raftLog.committed);
    return;
  }
  const ctx = m.entries[0].data;
  r.readOnly.addRequest(r.raftLog.committed, m);
  r.readOnly.recvAck(r.id, ctx);
  bcastHeartbeatWithCtx(r, ctx);
}

function respondToReadIndex(r: RaftCore, req: Message, index: number): void {
  if (req.from === NONE || req.from === r.id) {
    r.readStates.push({ index, requestCtx: req.entries[0].data });
  } else {
    r.send(newMessage({ type: MessageType.ReadIndexResp, to: req.from, index, entries: req.entries }));
  }
}

/** Answers the ReadIndex requests held back until an entry of this term committed. */
export function releasePendingReadIndexMessages(r: RaftCore): void {
  if (r.pendingReadIndexMessages.length === 0 || !committedEntryInCurrentTerm(r)) return;
  const msgs = r.pendingReadIndexMessages;
  r.pendingReadIndexMessages = [];
  for (const m of msgs) sendReadIndexResponse(r, m);
}

function handleAppendResponse(r: RaftCore, m: Message, pr: Progress): void {
  pr.recentActive = true;
  if (m.reject) {
    r.logger.debug(r.fields({ from: m.from, rejected: m.index, hint: m.rejectHint, hintTerm: m.logTerm }), 'append rejected');
    // Fast backtracking: skip every entry of ours whose term is above the follower's hint term.
    let nextProbeIdx = m.rejectHint;
    if (m.logTerm > 0) nextProbeIdx = r.raftLog.findConflictByTerm(m.rejectHint, m.logTerm)[0];
    if (pr.maybeDecrTo(m.index, nextProbeIdx)) {
      if (pr.state === 'replicate') pr.becomeProbe();
      sendAppend(r, m.from);
    }
    return;
  }
  const oldPaused = pr.isPaused();
  if (!(pr.maybeUpdate(m.index) || (pr.match === m.index && pr.state === 'probe'))) return;
  switch (pr.state) {
    case 'probe':
      pr.becomeReplicate();
      break;
    case 'snapshot':
      if (pr.match + 1 >= r.raftLog.firstIndex()) {
        pr.becomeProbe();
        pr.becomeReplicate();
      }
      break;
    case 'replicate':
      pr.inflights.freeLE(m.index);
      break;
  }
  if (maybeCommit(r)) {
    releasePendingReadIndexMessages(r);
    bcastAppend(r);
  } else if (oldPaused) {
    // The follower may have missed the latest commit index while paused.
    sendAppend(r, m.from);
  }
  // Flow control may now allow several messages (e.g. probe -> replicate).
  while (maybeSendAppend(r, m.from, false)) {
    // keep sending
  }
  if (m.from === r.leadTransferee && pr.match === r.raftLog.lastIndex()) {
    r.logger.info(r.fields({ transferee: m.from }), 'transferee caught up; sending TimeoutNow');
    sendTimeoutNow(r, m.from);
  }
}

function handleHeartbeatResponse(r: RaftCore, m: Message, pr: Progress): void {
  pr.recentActive = true;
  pr.probeSent = false;
  // If every App in the window was lost, free one slot so replication can recover.
  if (pr.state === 'replicate' && pr.inflights.full()) pr.inflights.freeFirstOne();
  if (pr.match < r.raftLog.lastIndex() || pr.state === 'probe') sendAppend(r, m.from);
  if (m.context.byteLength === 0) return;
  const acks = r.readOnly.recvAck(m.from, m.context);
  if (acks === undefined || r.trk.ackResult(acks) !== 'won') return;
  for (const rs of r.readOnly.advance(m.context)) respondToReadIndex(r, rs.req, rs.index);
}

function handleTransferLeader(r: RaftCore, m: Message, pr: Progress): void {
  if (pr.isLearner) {
    r.logger.debug(r.fields({ transferee: m.from }), 'ignoring leadership transfer to a learner');
    return;
  }
  const transferee = m.from;
  if (r.leadTransferee !== NONE) {
    if (r.leadTransferee === transferee) return;
    abortLeaderTransfer(r);
  }
  if (transferee === r.id) return;
  r.logger.info(r.fields({ transferee }), 'starting leadership transfer');
  // The transfer must finish within an election timeout (see tickHeartbeat).
  r.electionElapsed = 0;
  r.leadTransferee = transferee;
  if (pr.match === r.raftLog.lastIndex()) sendTimeoutNow(r, transferee);
  else sendAppend(r, transferee);
}

/** Gives up any ongoing leadership transfer. */
export function abortLeaderTransfer(r: RaftCore): void {
  r.leadTransferee = NONE;
}

/** Advances the commit index to what the voters' quorum has; true if it moved. */
export function maybeCommit(r: RaftCore): boolean {
  return r.raftLog.maybeCommit(r.trk.committed(), r.term);
}
