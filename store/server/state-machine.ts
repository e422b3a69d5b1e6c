import * as zlib from 'node:zlib';
import { Event, KeyValue } from '../../gen/etcd/kv';
import { RangeRequest, RangeResponse, WatchCreateRequest_FilterType } from '../../gen/etcd/rpc';
import { InternalRequest } from '../../gen/bosun/store';
import { ErrCompacted, ErrFutureRev } from '../errors';
import { Applier, ApplyResult } from '../mvcc/applier';
import { Lessor, LeaseTimeToLive } from '../mvcc/lessor';
import { MvccStore } from '../mvcc/mvcc-store';
import type { SnapshotCapture } from '../mvcc/snapshot';
import { WatchableStore, Watcher } from '../mvcc/watchable-store';
import { MemberConfig } from './member-config';

/** The server's end of a watcher. */
export interface WatchTarget {
  /** Returns false when the client's stream is full (the watcher then waits for resume()). */
  deliver(batch: { events: Event[]; revision: number }): boolean;
  /** The watcher's start revision was compacted away; it is cancelled. */
  compacted(compactRevision: number): void;
}

export type WatchHandle = Pick<Watcher, 'cancel' | 'resume'>;

/** What a watch asks for (the fields of etcd's WatchCreateRequest). */
export interface WatchSpec {
  key: Buffer;
  rangeEnd: Buffer;
  startRevision: number;
  prevKv: boolean;
  filters: WatchCreateRequest_FilterType[];
  progressNotify: boolean;
}

/** etcd's minimum lease TTL: 1.5 election timeouts, rounded up to whole seconds. */
function minLeaseTtlSeconds(config: Pick<MemberConfig, 'electionTicks' | 'tickIntervalMs'>): number {
  return Math.ceil((1.5 * config.electionTicks * config.tickIntervalMs) / 1000);
}

/**
 * A member's replicated state machine as the server sees it: the MVCC store, its watches and
 * its leases behind one object, applied in raft order by the member's apply side. Its applier
 * is the one place that knows the raft index applied last.
 */
export class StateMachine {
  private readonly kv: MvccStore;
  private readonly lessor: Lessor;
  private readonly watchable: WatchableStore;
  private readonly applier: Applier;

  private constructor(config: Pick<MemberConfig, 'electionTicks' | 'tickIntervalMs'>) {
    this.kv = new MvccStore();
    this.lessor = new Lessor(this.kv, { minTtlSeconds: minLeaseTtlSeconds(config) });
    this.watchable = new WatchableStore(this.kv);
    this.applier = new Applier(this.kv, this.lessor);
  }

  /** A state machine with no keys and no leases (revision 1). */
  static empty(config: Pick<MemberConfig, 'electionTicks' | 'tickIntervalMs'>): StateMachine {
    return new StateMachine(config);
  }

  /** A state machine restored from snapshot bytes (throws ErrSnapshotCorrupt). */
  static restore(config: Pick<MemberConfig, 'electionTicks' | 'tickIntervalMs'>, bytes: Uint8Array): StateMachine {
    const sm = new StateMachine(config);
    sm.applier.restore(bytes);
    return sm;
  }

  /** Replaces the state with a snapshot's, keeping the watchers (they catch up or are cancelled). */
  restoreInPlace(bytes: Uint8Array): void {
    this.applier.restore(bytes);
  }

  /** Raft index of the last entry applied (or restored from a snapshot). */
  get appliedIndex(): number {
    return this.applier.appliedIndex;
  }

  /** Applies a committed command at raft `index` (skipped when at or below appliedIndex). */
  apply(req: InternalRequest, index: number): ApplyResult {
    return this.applier.apply(index, req);
  }

  /**
   * Moves appliedIndex to `index` over entries that carried nothing for the state machine
   * (conf changes, membership commands, no-ops, a raft snapshot's own index); never backwards.
   */
  markApplied(index: number): void {
    this.applier.markApplied(index);
  }

  /** This member leads: lease deadlines start counting here (see Lessor.promote). */
  promoteLeases(): void {
    this.lessor.promote();
  }

  /** This member no longer leads: it stops tracking lease deadlines. */
  demoteLeases(): void {
    this.lessor.demote();
  }

  /** Up to `max` leases past their deadline (leader only), for a LeaseExpire proposal. */
  expiredLeases(max: number): number[] {
    return this.lessor.expiredLeases(max);
  }

  /** Renews lease `id` (leader only, else ErrNotLeader); returns its TTL in seconds. Throws ErrLeaseNotFound. */
  renewLease(id: number): number {
    return this.lessor.renew(id);
  }

  /** Lease `id`'s remaining and granted TTL, and its keys when asked. Throws ErrLeaseNotFound. */
  leaseTimeToLive(id: number, withKeys: boolean): LeaseTimeToLive {
    return this.lessor.timeToLive(id, withKeys);
  }

  /** Ids of every live lease. */
  leaseIds(): number[] {
    return this.lessor.leases();
  }

  range(req: RangeRequest): RangeResponse {
    return this.kv.range(req);
  }

  currentRevision(): number {
    return this.kv.currentRevision;
  }

  compactRevision(): number {
    return this.kv.compactRevision;
  }

  watch(spec: WatchSpec, target: WatchTarget): WatchHandle {
    return this.watchable.watch(
      {
        key: spec.key,
        rangeEnd: spec.rangeEnd,
        startRevision: spec.startRevision,
        prevKv: spec.prevKv,
        filters: spec.filters,
        progressNotify: spec.progressNotify,
      },
      {
        send: (batch) => target.deliver(batch),
        compacted: (rev) => target.compacted(rev),
      },
    );
  }

  /** Sends idle watchers that asked for it a progress notification. */
  progressNotify(): void {
    this.watchable.progressNotifyAll();
  }

  serialize(): Uint8Array {
    return this.applier.snapshot();
  }

  /** A consistent view of the state as of appliedIndex, serialized later without blocking (see serializeCaptured). */
  capture(): SnapshotCapture {
    return this.applier.capture();
  }

  /** Every live key-value at `revision`, in key order. */
  private allKeys(revision: number): KeyValue[] {
    const all = Buffer.from([0]);
    return this.kv.range(RangeRequest.fromPartial({ key: all, rangeEnd: all, revision })).kvs;
  }

  /** A crc32 over the key-values live at `revision` (like etcd's HashKV, for consistency checks across members). */
  hashKV(revision: number): { hash: number; compactRevision: number } {
    const rev = revision > 0 ? revision : this.kv.currentRevision;
    if (rev > this.kv.currentRevision) throw new ErrFutureRev();
    if (rev < this.kv.compactRevision) throw new ErrCompacted();
    let hash = 0;
    for (const kv of this.allKeys(rev)) hash = zlib.crc32(KeyValue.encode(kv).finish(), hash);
    return { hash, compactRevision: this.kv.compactRevision };
  }

  close(): void {
    this.lessor.demote();
  }
}
