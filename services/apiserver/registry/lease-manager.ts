/**
 * Store leases for objects that expire (Kubernetes' storage/etcd3 leaseManager): instead of one
 * lease per object, writes within a short window share one lease, granted with a little extra
 * TTL so every object it carries lives at least the TTL asked for. The store then deletes the
 * objects by itself when the lease runs out (a DELETE every watcher sees); nobody keeps the
 * lease alive.
 */

/** Longest a lease is shared by new writes, in seconds (Kubernetes: 60). */
export const LEASE_REUSE_DURATION_SECONDS = 60;
/** Share of the TTL a lease is shared for when that is shorter than LEASE_REUSE_DURATION_SECONDS (Kubernetes: 5 %). */
export const LEASE_REUSE_DURATION_FRACTION = 0.05;
/** Most objects attached to one lease before a new one is granted (Kubernetes: 1000). */
export const LEASE_MAX_ATTACHED_OBJECTS = 1000;

/** Grants store leases (StoreClient.grant). */
export interface LeaseGranter {
  grant(ttlSeconds: number): Promise<{ readonly id: number }>;
}

/** Constructor parameters of a LeaseManager. */
export interface LeaseManagerOptions {
  readonly granter: LeaseGranter;
  /** Wall-clock milliseconds (default Date.now). */
  readonly now?: () => number;
  readonly reuseDurationSeconds?: number;
  readonly reuseDurationFraction?: number;
  readonly maxAttachedObjects?: number;
}

/** The lease being shared. */
interface SharedLease {
  readonly id: number;
  /** When the store expires it, by our clock (epoch ms). */
  readonly expiresAtMs: number;
  attached: number;
}

/**
 * Hands out lease IDs for objects that must live `ttlSeconds` after their write. A lease is
 * shared while it still outlives the TTL asked for and expires no later than TTL + reuse
 * window from now (reuse window = min(LEASE_REUSE_DURATION_SECONDS, 5 % of the TTL)), for at
 * most LEASE_MAX_ATTACHED_OBJECTS objects; otherwise a new lease of TTL + reuse window seconds
 * is granted. So an object lives between TTL and TTL + reuse window after its last write.
 * Concurrent callers share one grant in flight. Grant errors are thrown to the caller.
 */
export class LeaseManager {
  private readonly granter: LeaseGranter;
  private readonly now: () => number;
  private readonly reuseSeconds: number;
  private readonly reuseFraction: number;
  private readonly maxAttached: number;
  private current: SharedLease | undefined;
  private granting: Promise<unknown> | undefined;

  constructor(options: LeaseManagerOptions) {
    this.granter = options.granter;
    this.now = options.now ?? Date.now;
    this.reuseSeconds = options.reuseDurationSeconds ?? LEASE_REUSE_DURATION_SECONDS;
    this.reuseFraction = options.reuseDurationFraction ?? LEASE_REUSE_DURATION_FRACTION;
    this.maxAttached = options.maxAttachedObjects ?? LEASE_MAX_ATTACHED_OBJECTS;
  }

  /** A lease ID to attach an object to that must live `ttlSeconds` (a positive integer) from now. */
  async leaseFor(ttlSeconds: number): Promise<number> {
    for (;;) {
      // Wait for a grant in flight: its lease may serve this write too.
      while (this.granting) await this.granting.catch(() => undefined);
      const now = this.now();
      const reuse = this.reuseWindowSeconds(ttlSeconds);
      const lease = this.current;
      if (lease && this.canShare(lease, now, ttlSeconds, reuse)) {
        lease.attached++;
        return lease.id;
      }
      const grant = this.grant(now, ttlSeconds + reuse);
      this.granting = grant;
      try {
        return await grant;
      } finally {
        if (this.granting === grant) this.granting = undefined;
      }
    }
  }

  private canShare(lease: SharedLease, now: number, ttlSeconds: number, reuse: number): boolean {
    const outlivesTtl = now + ttlSeconds * 1000 < lease.expiresAtMs;
    const withinWindow = now + (ttlSeconds + reuse) * 1000 >= lease.expiresAtMs;
    return outlivesTtl && withinWindow && lease.attached < this.maxAttached;
  }

  private async grant(now: number, ttlSeconds: number): Promise<number> {
    const { id } = await this.granter.grant(ttlSeconds);
    this.current = { id, expiresAtMs: now + ttlSeconds * 1000, attached: 1 };
    return id;
  }

  /** How many seconds a lease for `ttlSeconds` is shared: min(reuse duration, fraction of the TTL), whole seconds. */
  private reuseWindowSeconds(ttlSeconds: number): number {
    return Math.min(this.reuseSeconds, Math.floor(this.reuseFraction * ttlSeconds));
  }
}
