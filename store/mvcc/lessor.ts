import { ErrLeaseExist, ErrLeaseNotFound, ErrLeaseTTLTooLarge, ErrNotLeader } from '../errors';
import { LeaseRegistry, MvccStore } from './mvcc-store';
import { toBytes } from './key-index';

/** Largest TTL a lease may be granted with (etcd's MaxLeaseTTL), in seconds. */
export const MAX_LEASE_TTL_SECONDS = 9_000_000_000;
/** Default floor for granted TTLs, in seconds. Must be the same on every member. */
export const DEFAULT_MIN_TTL_SECONDS = 1;
/** After a lease is reported expired, how long before it is reported again (ms), like etcd. */
export const EXPIRED_LEASE_RETRY_INTERVAL_MS = 3000;

/** Construction options of {@link Lessor}. */
export interface LessorOptions {
  /**
   * Granted TTLs below this are raised to it (seconds). Part of the replicated semantics:
   * every member must use the same value.
   */
  minTtlSeconds?: number;
  /** Monotonic clock in milliseconds, used only for local expiry deadlines. */
  now?: () => number;
}

/** A lease as the Lease API reports it. */
export interface LeaseTimeToLive {
  id: number;
  /** Seconds left (on the leader); the granted TTL on a member that is not the leader. */
  ttl: number;
  grantedTtl: number;
  /** Attached keys in byte order, if asked for. */
  keys: Buffer[];
}

class Lease {
  readonly keys = new Set<string>();
  /** Local, volatile: ms on the injected clock, set only while this member is primary. */
  deadline: number | undefined;
  constructor(
    readonly id: number,
    readonly ttl: number,
  ) {}
}

/**
 * Leases (etcd's lessor). Grant, revoke and key attachment are replicated state, changed only by
 * applying committed requests, so they are deterministic. Expiry is not: deadlines are local and
 * exist only on the primary (the raft leader, after {@link promote}); the leader asks
 * {@link expiredLeases} periodically and proposes a LeaseExpire with those ids, and applying it
 * revokes them on every member.
 */
export class Lessor implements LeaseRegistry {
  private readonly leaseMap = new Map<number, Lease>();
  private readonly minTtl: number;
  private readonly now: () => number;
  private primary = false;

  /** Binds itself to `store` as its lease registry. */
  constructor(
    private readonly store: MvccStore,
    options: LessorOptions = {},
  ) {
    this.minTtl = options.minTtlSeconds ?? DEFAULT_MIN_TTL_SECONDS;
    this.now = options.now ?? (() => performance.now());
    store.bindLeases(this);
  }

  /** True between {@link promote} and {@link demote}. */
  get isPrimary(): boolean {
    return this.primary;
  }

  /**
   * Grants lease `id` (must be non-zero: the proposer picks ids) for `ttl` seconds, raised to the
   * minimum TTL. Returns the granted TTL. ErrLeaseNotFound for id 0, ErrLeaseExist for a
   * duplicate id, ErrLeaseTTLTooLarge above {@link MAX_LEASE_TTL_SECONDS}.
   */
  grant(id: number, ttl: number): number {
    if (ttl > MAX_LEASE_TTL_SECONDS) throw new ErrLeaseTTLTooLarge();
    if (id === 0) throw new ErrLeaseNotFound();
    if (this.leaseMap.has(id)) throw new ErrLeaseExist();
    const lease = new Lease(id, Math.max(ttl, this.minTtl));
    if (this.primary) lease.deadline = this.now() + lease.ttl * 1000;
    this.leaseMap.set(id, lease);
    return lease.ttl;
  }

  /**
   * Revokes lease `id`: deletes every attached key in one write revision (in key order), then
   * forgets the lease. Returns the store revision afterwards. ErrLeaseNotFound if unknown.
   */
  revoke(id: number): number {
    const lease = this.leaseMap.get(id);
    if (lease === undefined) throw new ErrLeaseNotFound();
    const keys = [...lease.keys].sort();
    this.store.deleteKeys(keys);
    this.leaseMap.delete(id);
    return this.store.currentRevision;
  }

  /** Keepalive, on the primary only (ErrNotLeader otherwise): resets the deadline; returns the TTL. */
  renew(id: number): number {
    if (!this.primary) throw new ErrNotLeader();
    const lease = this.leaseMap.get(id);
    const now = this.now();
    // An expired lease is as good as revoked; its revocation is on its way through raft.
    if (lease === undefined || (lease.deadline !== undefined && lease.deadline <= now)) throw new ErrLeaseNotFound();
    lease.deadline = now + lease.ttl * 1000;
    return lease.ttl;
  }

  /** The lease's remaining and granted TTL and, if `withKeys`, its keys. ErrLeaseNotFound if unknown. */
  timeToLive(id: number, withKeys = false): LeaseTimeToLive {
    const lease = this.leaseMap.get(id);
    if (lease === undefined) throw new ErrLeaseNotFound();
    const ttl =
      lease.deadline === undefined ? lease.ttl : Math.max(0, Math.trunc((lease.deadline - this.now()) / 1000));
    const keys = withKeys ? [...lease.keys].sort().map(toBytes) : [];
    return { id, ttl, grantedTtl: lease.ttl, keys };
  }

  /** Ids of all leases, ascending. */
  leases(): number[] {
    return [...this.leaseMap.keys()].sort((a, b) => a - b);
  }

  /** Granted TTL of lease `id`, or undefined if unknown. */
  ttlOf(id: number): number | undefined {
    return this.leaseMap.get(id)?.ttl;
  }

  /** Becomes primary (this member is now the leader): every deadline restarts at now + TTL. */
  promote(): void {
    this.primary = true;
    const now = this.now();
    for (const lease of this.leaseMap.values()) lease.deadline = now + lease.ttl * 1000;
  }

  /** Stops being primary: no deadlines, nothing expires here. */
  demote(): void {
    this.primary = false;
    for (const lease of this.leaseMap.values()) lease.deadline = undefined;
  }

  /**
   * On the primary, ids of up to `max` leases past their deadline (none elsewhere). Each one
   * reported is not reported again for {@link EXPIRED_LEASE_RETRY_INTERVAL_MS}, giving its
   * LeaseExpire proposal time to commit.
   */
  expiredLeases(max = Number.POSITIVE_INFINITY): number[] {
    if (!this.primary) return [];
    const now = this.now();
    const out: number[] = [];
    for (const lease of this.leaseMap.values()) {
      if (out.length >= max) break;
      if (lease.deadline !== undefined && lease.deadline <= now) {
        out.push(lease.id);
        lease.deadline = now + EXPIRED_LEASE_RETRY_INTERVAL_MS;
      }
    }
    return out;
  }

  // ---- LeaseRegistry (called by the store while applying writes) ----

  /** True if lease `id` exists. */
  exists(id: number): boolean {
    return this.leaseMap.has(id);
  }

  /** Attaches `key` (index form) to lease `id`, which must exist. */
  attach(id: number, key: string): void {
    const lease = this.leaseMap.get(id);
    if (lease === undefined) throw new Error(`lessor: attach of key to unknown lease ${id}`);
    lease.keys.add(key);
  }

  /** Detaches `key` from lease `id` (no-op if either is gone). */
  detach(id: number, key: string): void {
    this.leaseMap.get(id)?.keys.delete(key);
  }

  // ---- snapshot support ----

  /** Replicated lease state: ids and granted TTLs, ascending by id. */
  exportLeases(): { id: number; ttl: number }[] {
    return this.leases().map((id) => ({ id, ttl: this.leaseMap.get(id)!.ttl }));
  }

  /**
   * Replaces all leases (snapshot restore; call after the store's state was loaded): attachments
   * are rebuilt from the store's live keys. On the primary, deadlines restart at now + TTL.
   */
  loadLeases(leases: readonly { id: number; ttl: number }[]): void {
    this.leaseMap.clear();
    const now = this.now();
    for (const { id, ttl } of leases) {
      const lease = new Lease(id, ttl);
      if (this.primary) lease.deadline = now + ttl * 1000;
      this.leaseMap.set(id, lease);
    }
    for (const { key, lease } of this.store.leasedKeys()) {
      const l = this.leaseMap.get(lease);
      if (l === undefined) throw new Error(`lessor: restored key attached to unknown lease ${lease}`);
      l.keys.add(key);
    }
  }
}
