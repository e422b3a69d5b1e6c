import type { Logger } from 'pino';
import type { InternalRequest } from '../../gen/bosun/store';

/** How often the leader looks for expired leases. */
export const LEASE_EXPIRY_CHECK_MS = 500;
/** Leases revoked per expiry proposal, so one proposal stays small. */
export const MAX_LEASES_PER_EXPIRY = 1000;

/** What lease expiry needs from its member. */
export interface LeaseExpiryHost {
  isLeader(): boolean;
  /** Up to `max` leases past their deadline (the lessor tracks deadlines on the leader only). */
  expiredLeases(max: number): number[];
  propose(req: Pick<InternalRequest, 'leaseExpire'>): Promise<unknown>;
}

/**
 * Lease expiry goes through consensus, like etcd's: every LEASE_EXPIRY_CHECK_MS the leader
 * proposes the revocation of the leases whose time ran out, and every member revokes them
 * when it applies that proposal. A proposal that fails (leadership lost) is simply retried on
 * a later check, which the lessor schedules.
 */
export class LeaseExpiry {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly host: LeaseExpiryHost,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => this.check(), LEASE_EXPIRY_CHECK_MS);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private check(): void {
    if (!this.host.isLeader()) return;
    const ids = this.host.expiredLeases(MAX_LEASES_PER_EXPIRY);
    if (ids.length === 0) return;
    this.host.propose({ leaseExpire: { ids } }).catch((err) => this.log.debug({ err: String(err) }, 'lease expiry not applied yet'));
  }
}
