import * as grpc from '@grpc/grpc-js';
import type { LeaseKeepAliveRequest, LeaseKeepAliveResponse } from '../../gen/etcd/rpc';
import type { StoreError } from '../errors';
import { backoffDelayMs, delay } from './backoff';
import { ClientClosedError, LeaseExpiredError, toStoreError } from './client-errors';
import type { Endpoint } from './endpoint';
import type { ClientLogger } from './logger';
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

/** The live stream and the endpoint it runs on. */
interface OpenStream {
  readonly call: grpc.ClientDuplexStream<LeaseKeepAliveRequest, LeaseKeepAliveResponse>;
  readonly endpoint: Endpoint;
}

/**
 * Keeps leases alive over one LeaseKeepAlive stream per client. Each lease is renewed every
 * TTL/3; when the stream breaks it is re-opened (on another endpoint if need be) and every
 * lease is renewed at once. A lease whose TTL runs out without a successful renewal, or that
 * the server reports gone, ends with LeaseExpiredError.
 */
export class LeaseKeeper {
  private readonly keeps = new Set<Keep>();
  private stream: OpenStream | undefined;
  private connecting = false;
  private failures = 0;

  constructor(
    private readonly transport: Transport,
    private readonly logger: ClientLogger,
    private readonly random: () => number,
  ) {}

  /** Starts renewing lease `id` (the first renewal is sent at once). */
  keepAlive(id: number): KeepAliveHandle {
    if (this.transport.isClosed) throw new ClientClosedError();
    const keep: Keep = new Keep(id, () => this.finish(keep, undefined));
    this.keeps.add(keep);
    this.ensureStream();
    this.renew(keep);
    return keep;
  }

  /** Stops every keep-alive (their `closed` resolve to undefined) and the stream. */
  close(): void {
    for (const keep of [...this.keeps]) this.finish(keep, undefined);
    this.dropStream();
  }

  /** Sends one renewal (if the stream is up) and schedules the next. */
  private renew(keep: Keep): void {
    if (keep.done) return;
    if (keep.expiresAtMs > 0 && Date.now() >= keep.expiresAtMs) {
      this.finish(keep, new LeaseExpiredError(keep.id));
      return;
    }
    this.stream?.call.write({ ID: keep.id });
    const interval = keep.ttl > 0 ? Math.max(MIN_KEEPALIVE_INTERVAL_MS, (keep.ttl * 1000) / KEEPALIVE_DIVISOR) : UNKNOWN_TTL_INTERVAL_MS;
    const untilExpiry = keep.expiresAtMs > 0 ? Math.max(0, keep.expiresAtMs - Date.now()) : interval;
    clearTimeout(keep.timer);
    keep.timer = setTimeout(() => this.renew(keep), Math.min(interval, untilExpiry));
    keep.timer.unref();
  }

  private onResponse(res: LeaseKeepAliveResponse): void {
    this.failures = 0;
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

  private ensureStream(): void {
    if (this.stream !== undefined || this.connecting || this.keeps.size === 0) return;
    this.connecting = true;
    void this.openStream().finally(() => (this.connecting = false));
  }

  private async openStream(): Promise<void> {
    try {
      if (this.failures > 0) await delay(backoffDelayMs(this.failures, this.random));
      const endpoint = await this.transport.connectForStream();
      if (this.keeps.size === 0 || this.transport.isClosed) return;
      const metadata = new grpc.Metadata();
      metadata.set('hasleader', 'true');
      const call = endpoint.bidi(LEASE_KEEP_ALIVE, metadata);
      const open: OpenStream = { call, endpoint };
      this.stream = open;
      call.on('data', (res: LeaseKeepAliveResponse) => this.stream === open && this.onResponse(res));
      call.on('error', (err: Error) => this.stream === open && this.onStreamBroken(open, err));
      call.on('end', () => this.stream === open && this.onStreamBroken(open, new Error('keep-alive stream ended by server')));
      for (const keep of this.keeps) this.renew(keep);
    } catch (err) {
      if (!(err instanceof ClientClosedError)) this.logger.error({ err: (err as Error).message }, 'keep-alive stream open failed');
    }
  }

  private onStreamBroken(open: OpenStream, err: Error): void {
    const error = toStoreError(err);
    this.stream = undefined;
    open.call.cancel();
    if (this.transport.isClosed) return;
    this.failures++;
    this.transport.reportStreamFailure(open.endpoint, error);
    this.logger.info({ endpoint: open.endpoint.address, err: error.message, leases: this.keeps.size }, 'keep-alive stream broken, reconnecting');
    this.ensureStream();
  }

  private finish(keep: Keep, error: StoreError | undefined): void {
    if (keep.done) return;
    keep.done = true;
    clearTimeout(keep.timer);
    this.keeps.delete(keep);
    if (error !== undefined) this.logger.warn({ lease: keep.id, err: error.message }, 'lease keep-alive ended');
    keep.resolveClosed(error);
    if (this.keeps.size === 0) this.dropStream();
  }

  private dropStream(): void {
    const open = this.stream;
    this.stream = undefined;
    open?.call.cancel();
  }
}
