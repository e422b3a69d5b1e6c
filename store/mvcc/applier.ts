import {
  CompactionResponse,
  DeleteRangeResponse,
  LeaseGrantResponse,
  LeaseRevokeResponse,
  PutResponse,
  TxnResponse,
} from '../../gen/etcd/rpc';
import { InternalRequest } from '../../gen/bosun/store';
import { StoreError } from '../errors';
import { Lessor } from './lessor';
import { header, MvccStore } from './mvcc-store';
import { captureSnapshot, restoreSnapshot, serializeSnapshot, SnapshotCapture } from './snapshot';

/** The etcd response an applied command produces for its proposer. */
export type ApplyResponse =
  | PutResponse
  | DeleteRangeResponse
  | TxnResponse
  | CompactionResponse
  | LeaseGrantResponse
  | LeaseRevokeResponse;

/**
 * Outcome of applying one command, as its proposer receives it: the response, or the StoreError
 * it failed with (still an applied command: every member fails it identically and nothing
 * changed); neither when there is nothing to answer (membership commands, an empty request, an
 * index already applied).
 */
export interface ApplyResult {
  readonly response?: ApplyResponse;
  readonly error?: StoreError;
}

/** The result of a command with nothing to answer. */
export const NO_RESULT: ApplyResult = Object.freeze({});

/**
 * Applies committed raft entries, in log order, to the MVCC store and the lessor — the
 * replicated state machine of a store member. Deterministic: the same entries give the same
 * state and results on every member. Tracks the raft index of the last applied entry.
 */
export class Applier {
  private applied = 0;

  constructor(
    readonly store: MvccStore,
    readonly lessor: Lessor,
  ) {}

  /** Raft index of the last entry applied (or restored from a snapshot). */
  get appliedIndex(): number {
    return this.applied;
  }

  /**
   * Applies `req`, committed at raft `index`. An index at or below appliedIndex was applied
   * before (e.g. replay after a snapshot) and is skipped. Errors that are not StoreErrors are
   * broken invariants and are thrown.
   */
  apply(index: number, req: InternalRequest): ApplyResult {
    if (index <= this.applied) return NO_RESULT;
    this.applied = index;
    try {
      const response = this.dispatch(req);
      return response === undefined ? NO_RESULT : { response };
    } catch (e) {
      if (e instanceof StoreError) return { error: e };
      throw e;
    }
  }

  /** Advances appliedIndex over an entry with no command for this layer (empty, conf change). */
  markApplied(index: number): void {
    if (index > this.applied) this.applied = index;
  }

  /** Serializes the state as of appliedIndex. */
  snapshot(): Buffer {
    return serializeSnapshot({ store: this.store, lessor: this.lessor, appliedIndex: this.applied });
  }

  /** Captures the state as of appliedIndex, to serialize later (see serializeCaptured). */
  capture(): SnapshotCapture {
    return captureSnapshot({ store: this.store, lessor: this.lessor, appliedIndex: this.applied });
  }

  /** Replaces the state with a snapshot's; appliedIndex becomes the snapshot's. Throws ErrSnapshotCorrupt. */
  restore(bytes: Uint8Array): void {
    this.applied = restoreSnapshot(bytes, { store: this.store, lessor: this.lessor });
  }

  private dispatch(req: InternalRequest): ApplyResponse | undefined {
    const { store, lessor } = this;
    if (req.put !== undefined) return store.put(req.put);
    if (req.deleteRange !== undefined) return store.deleteRange(req.deleteRange);
    if (req.txn !== undefined) return store.txn(req.txn);
    if (req.compaction !== undefined) {
      store.compact(req.compaction.revision);
      return { header: header(store.currentRevision) };
    }
    if (req.leaseGrant !== undefined) {
      const ttl = lessor.grant(req.leaseGrant.ID, req.leaseGrant.TTL);
      return { header: header(store.currentRevision), ID: req.leaseGrant.ID, TTL: ttl, error: '' };
    }
    if (req.leaseRevoke !== undefined) {
      return { header: header(lessor.revoke(req.leaseRevoke.ID)) };
    }
    if (req.leaseExpire !== undefined) {
      // Each lease is revoked in its own revision; ones already gone are skipped.
      for (const id of req.leaseExpire.ids) if (lessor.exists(id)) lessor.revoke(id);
      return { header: header(store.currentRevision) };
    }
    // memberAttributes is membership, handled by the server.
    return undefined;
  }
}
