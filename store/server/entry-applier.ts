import type { Logger } from 'pino';
import * as grpc from '@grpc/grpc-js';
import { ConfChangeContext, InternalRequest } from '../../gen/bosun/store';
import { StoreError } from '../errors';
import { ApplyResult, NO_RESULT } from '../mvcc/applier';
import { decodeConfChange } from '../raft/conf-change';
import { ConfChange, ConfChangeType, ConfState, Entry, EntryType, Snapshot, SnapshotMetadata } from '../raft/types';
import { Membership } from './membership';
import { decodeProposal } from './proposal-bytes';
import { decodeSnapshotData, serializeSnapshotData } from './snapshot-data';
import type { StateMachine } from './state-machine';
import { IndexWaiters } from './waiters';

/** What the apply side needs from its member. */
export interface ApplyHost {
  /** This member's id: the proposer whose proposals this member answers. */
  readonly id: number;
  /** Answers this member's proposal `requestId` with the result of applying it. */
  answerProposal(requestId: number, result: ApplyResult): void;
  /** Hands an applied membership change to raft; returns the configuration it now has. */
  applyConfChange(cc: ConfChange): ConfState;
  /** The membership changed (members, peer URLs): the transport should dial exactly its members. */
  membershipChanged(membership: Membership): void;
  /** This member's own removal was applied. */
  removedFromCluster(): void;
}

/**
 * The replicated state a local snapshot captures (see EntryApplier.captureSnapshot): its index
 * and configuration, and its data, serialized on demand without blocking the event loop.
 */
export interface CapturedState {
  readonly index: number;
  readonly confState: ConfState;
  /** The snapshot data as of `index` (throws signal.reason if aborted on the way). */
  serialize(signal?: AbortSignal): Promise<Uint8Array>;
}

/**
 * The apply side of a store member: what raft hands over to apply — committed entries
 * (commands for the state machine, membership commands, configuration changes) and snapshots
 * from the leader — applied in log order to the state machine and the membership, answering
 * this member's waiting proposals. The applied index itself lives in the state machine (one
 * place); this class releases whoever waits for it to grow.
 */
export class EntryApplier {
  private members: Membership;
  private conf: ConfState;
  private readonly appliedWaiters: IndexWaiters;

  /**
   * `snapshot` is the raft snapshot the member started from: its index counts as applied (the
   * bootstrap snapshot's state machine says 0).
   */
  constructor(
    private readonly sm: StateMachine,
    membership: Membership,
    snapshot: SnapshotMetadata,
    private readonly host: ApplyHost,
    private readonly log: Logger,
  ) {
    this.members = membership;
    this.conf = snapshot.confState;
    sm.markApplied(snapshot.index);
    this.appliedWaiters = new IndexWaiters(this.appliedIndex);
  }

  /** Raft index of the last entry applied; the state machine keeps it. */
  get appliedIndex(): number {
    return this.sm.appliedIndex;
  }

  /** The cluster's membership as of appliedIndex (replaced by a snapshot from the leader). */
  get membership(): Membership {
    return this.members;
  }

  /** Resolves once the member has applied at least `index`. */
  waitApplied(index: number): Promise<void> {
    return this.appliedWaiters.waitFor(index);
  }

  /** Applies committed entries in order (ones at or below appliedIndex are skipped). */
  applyCommitted(entries: Entry[]): void {
    for (const e of entries) this.applyEntry(e);
    this.appliedWaiters.advance(this.appliedIndex);
  }

  /** Replaces the state machine and the membership with a snapshot's from the leader. */
  applySnapshot(snap: Snapshot): void {
    const decoded = decodeSnapshotData(snap.data);
    this.sm.restoreInPlace(decoded.mvcc);
    this.sm.markApplied(snap.metadata.index);
    this.members = decoded.membership;
    this.conf = snap.metadata.confState;
    this.host.membershipChanged(this.members);
    this.log.info({ index: snap.metadata.index }, 'applied snapshot from leader');
  }

  /**
   * The applied state (state machine and membership) and its configuration, for a local
   * snapshot: captured now in O(keys) references, serialized later in slices.
   */
  captureSnapshot(): CapturedState {
    const capture = this.sm.capture();
    const members = Membership.restore(this.members.list(), this.members.removedIds());
    return {
      index: this.appliedIndex,
      confState: this.conf,
      serialize: (signal) => serializeSnapshotData(members, capture, signal),
    };
  }

  private applyEntry(e: Entry): void {
    if (e.index <= this.appliedIndex) return;
    if (e.type === EntryType.ConfChange) this.applyConfChangeEntry(e);
    else if (e.data.length > 0) this.applyNormalEntry(e);
    this.sm.markApplied(e.index);
  }

  private applyNormalEntry(e: Entry): void {
    let req: InternalRequest;
    try {
      req = decodeProposal(e.data);
    } catch (err) {
      // Every member decodes the same bytes, so every member skips the entry alike.
      this.log.error({ index: e.index, err: String(err) }, 'undecodable log entry skipped');
      return;
    }
    let result: ApplyResult;
    if (req.memberAttributes) {
      const a = req.memberAttributes;
      this.members.setAttributes(a.memberId, a.name, a.clientUrls);
      result = NO_RESULT;
    } else if (req.memberUpdate) {
      this.members.setPeerUrls(req.memberUpdate.memberId, req.memberUpdate.peerUrls);
      this.host.membershipChanged(this.members);
      result = NO_RESULT;
    } else {
      result = this.sm.apply(req, e.index);
    }
    if (req.proposer === this.host.id) this.host.answerProposal(req.id, result);
  }

  private applyConfChangeEntry(e: Entry): void {
    const cc = decodeConfChange(e.data);
    let ctx: ConfChangeContext = { member: undefined, requestId: 0, proposer: 0 };
    try {
      ctx = ConfChangeContext.decode(cc.context);
    } catch {
      this.log.error({ index: e.index }, 'undecodable membership change context');
    }
    const ok = this.members.applyConfChange(cc, ctx.member);
    if (ok) this.conf = this.host.applyConfChange(cc);
    this.host.membershipChanged(this.members);
    this.log.info({ index: e.index, type: ConfChangeType[cc.type], node: cc.nodeId.toString(16), ok }, 'membership change applied');
    if (ctx.proposer === this.host.id) this.host.answerProposal(ctx.requestId, ok ? NO_RESULT : { error: new StoreError(grpc.status.FAILED_PRECONDITION, 'etcdserver: membership change rejected') });
    if (ok && cc.type === ConfChangeType.RemoveNode && cc.nodeId === this.host.id) this.host.removedFromCluster();
  }
}
