import type { LeaseKeepAliveRequest, LeaseKeepAliveResponse } from '../../gen/etcd/rpc';
import type { StoreError } from '../errors';
import { ClientClosedError, LeaseExpiredError } from './client-errors';
import type { ClientLogger } from './logger';
import { ReconnectingStream } from './reconnecting-stream';
import { LEASE_KEEP_ALIVE } from './rpc-methods';
import type { Transport } from './transport';

/** Renewals are sent every TTL / KEEPALIVE_DIVISOR. */
export const KEEPALIVE_DIVISOR = 3;
/** Shortest interval between renewals of one lease. */
export const MIN_KEEPALIVE_INTERVAL_MS = 100;
/** Renewal interval while the lease's TTL is not yet known (no answer received). */
export const UNKNOWN_TTL_INTERVAL_MS = 500;

/** A lease being kept alive. */
export interface KeepAliveHandle {
  readonly id: number;
  /** The TTL (seconds) granted by the last renewal; 0 until the first answer. */
  readonly ttl: number;
  /** Stops renewing (does not revoke: the lease then expires after its TTL). */
  stop(): void;
  /**
   * Resolves when renewal ends: undefined after stop() or client close, LeaseExpiredError if
   * the lease is gone (revoked, or expired before a renewal got through).
   */
  readonly closed: Promise<StoreError | undefined>;
}

/** One keep-alive and its renewal state. */
class Keep implements KeepAliveHandle {
  ttl = 0;
  /** When the lease expires by what the server last told us (epoch ms); 0 if unknown. */
  expiresAtMs = 0;
  timer: NodeJS.Timeout | undefined;
  done = false;
  readonly closed: Promise<StoreError | undefined>;
  resolveClosed!: (e: StoreError | undefined) => void;

  constructor(
    readonly id: number,
    readonly stop: () => void,
  ) {
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
  }
}

/**
 * Keeps leases alive over one LeaseKeepAlive stream per client. Each lease is renewed every
 * TTL/3; when the stream breaks it is re-opened (on another endpoint if need be) and every
 * lease is renewed at once. A lease whose TTL runs out without a successful renewal, or that
 * the server reports gone, ends with LeaseExpiredError.
 */
export class LeaseKeeper {
  private readonly keeps = new Set<Keep>();
  private readonly stream: ReconnectingStream<LeaseKeepAliveRequest, LeaseKeepAliveResponse>;

  constructor(
    private readonly transport: Transport,
    private readonly logger: ClientLogger,
    random: () => number,
  ) {
    this.stream = new ReconnectingStream('keep-alive', LEASE_KEEP_ALIVE, transport, logger, random, {
      wanted: () => this.keeps.size > 0,
      opened: () => {
        for (const keep of this.keeps) this.renew(keep);
      },
      received: (res) => this.onResponse(res),
      broken: () => undefined, // leases have no per-stream state; opened() renews them all
    });
  }

  /** Starts renewing lease `id` (the first renewal is sent at once). */
  keepAlive(id: number): KeepAliveHandle {
    if (this.transport.isClosed) throw new ClientClosedError();
    const keep: Keep = new Keep(id, () => this.finish(keep, undefined));
    this.keeps.add(keep);
    this.stream.ensure();
    this.renew(keep);
    return keep;
  }

  /** Stops every keep-alive (their `closed` resolve to undefined) and the stream. */
  close(): void {
    for (const keep of [...this.keeps]) this.finish(keep, undefined);
    this.stream.drop();
  }

  /** Sends one renewal (if the stream is up) and schedules the next. */
  private renew(keep: Keep): void {
    if (keep.done) return;
    if (keep.expiresAtMs > 0 && Date.now() >= keep.expiresAtMs) {
      this.finish(keep, new LeaseExpiredError(keep.id));
      return;
    }
    this.stream.write({ ID: keep.id });
    const interval = keep.ttl > 0 ? Math.max(MIN_KEEPALIVE_INTERVAL_MS, (keep.ttl * 1000) / KEEPALIVE_DIVISOR) : UNKNOWN_TTL_INTERVAL_MS;
    const untilExpiry = keep.expiresAtMs > 0 ? Math.max(0, keep.expiresAtMs - Date.now()) : interval;
    clearTimeout(keep.timer);
    keep.timer = setTimeout(() => this.renew(keep), Math.min(interval, untilExpiry));
    keep.timer.unref();
  }

  private onResponse(res: LeaseKeepAliveResponse): void {
    for (const keep of this.keeps) {
      if (keep.id !== res.ID) continue;
      if (res.TTL <= 0) {
        this.finish(keep, new LeaseExpiredError(keep.id));
      } else {
        keep.ttl = res.TTL;
        keep.expiresAtMs = Date.now() + res.TTL * 1000;
      }
    }
  }

  private finish(keep: Keep, error: StoreError | undefined): void {
    if (keep.done) return;
    keep.done = true;
    clearTimeout(keep.timer);
    this.keeps.delete(keep);
    if (error !== undefined) this.logger.warn({ lease: keep.id, err: error.message }, 'lease keep-alive ended');
    keep.resolveClosed(error);
    if (this.keeps.size === 0) this.stream.drop();
  }
}
