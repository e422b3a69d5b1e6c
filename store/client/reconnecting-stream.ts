import * as grpc from '@grpc/grpc-js';
import type { StoreError } from '../errors';
import { backoffDelayMs, delay } from './backoff';
import { ClientClosedError, toStoreError } from './client-errors';
import type { Endpoint, RpcMethod } from './endpoint';
import type { ClientLogger } from './logger';
import type { Transport } from './transport';

/** What the owner of a ReconnectingStream does at each point of the stream's life. */
export interface StreamOwner<Res> {
  /** Whether a stream is wanted at all (something is being kept alive or watched). */
  wanted(): boolean;
  /** A new stream is up: send what the server must know again (renewals, creates). */
  opened(): void;
  /** A response arrived on the current stream. */
  received(res: Res): void;
  /** The current stream broke; a new one is being opened. Forget per-stream state (ids). */
  broken(): void;
}

/** The live stream and the endpoint it runs on. */
interface OpenStream<Req, Res> {
  readonly call: grpc.ClientDuplexStream<Req, Res>;
  readonly endpoint: Endpoint;
}

/**
 * One long-lived bidi stream of a client (LeaseKeepAlive, Watch) kept open while its owner
 * wants it: opened on an endpoint the transport picks, and when it fails (member killed,
 * connection lost, "no leader") reported to the transport and re-opened after a backoff that
 * grows with consecutive failures — on another endpoint if the old one is down. Every call
 * carries `hasleader`, so etcd fails the stream with "no leader" instead of silently starving
 * it when the member loses its leader (e.g. it is partitioned away). Responses and breaks of
 * a stream that was replaced or dropped are ignored.
 */
export class ReconnectingStream<Req, Res> {
  private stream: OpenStream<Req, Res> | undefined;
  private connecting = false;
  private failures = 0;

  constructor(
    /** The stream's name in log records ("watch", "keep-alive"). */
    private readonly name: string,
    private readonly method: RpcMethod<Req, Res>,
    private readonly transport: Transport,
    private readonly logger: ClientLogger,
    private readonly random: () => number,
    private readonly owner: StreamOwner<Res>,
  ) {}

  /** Whether a stream is up now (writes are sent). */
  get isOpen(): boolean {
    return this.stream !== undefined;
  }

  /** Opens a stream if the owner wants one and none is up or being opened. */
  ensure(): void {
    if (this.stream !== undefined || this.connecting || !this.owner.wanted()) return;
    this.connecting = true;
    void this.open().finally(() => (this.connecting = false));
  }

  /** Sends `req` on the current stream; returns false (nothing sent) when none is up. */
  write(req: Req): boolean {
    if (this.stream === undefined) return false;
    this.stream.call.write(req);
    return true;
  }

  /** Ends the current stream without reconnecting (until the next ensure()). */
  drop(): void {
    const open = this.stream;
    this.stream = undefined;
    open?.call.cancel();
  }

  private async open(): Promise<void> {
    try {
      if (this.failures > 0) await delay(backoffDelayMs(this.failures, this.random));
      const endpoint = await this.transport.connectForStream();
      if (!this.owner.wanted() || this.transport.isClosed) return;
      const metadata = new grpc.Metadata();
      metadata.set('hasleader', 'true');
      const call = endpoint.bidi(this.method, metadata);
      const open: OpenStream<Req, Res> = { call, endpoint };
      this.stream = open;
      call.on('data', (res: Res) => {
        if (this.stream !== open) return;
        this.failures = 0;
        this.owner.received(res);
      });
      call.on('error', (err: Error) => this.stream === open && this.onBroken(open, err));
      call.on('end', () => this.stream === open && this.onBroken(open, new Error(`${this.name} stream ended by server`)));
      this.logger.debug({ stream: this.name, endpoint: endpoint.address }, 'stream opened');
      this.owner.opened();
    } catch (err) {
      if (!(err instanceof ClientClosedError)) this.logger.error({ stream: this.name, err: (err as Error).message }, 'stream open failed');
    }
  }

  private onBroken(open: OpenStream<Req, Res>, err: Error): void {
    const error: StoreError = toStoreError(err);
    this.stream = undefined;
    open.call.cancel();
    this.owner.broken();
    if (this.transport.isClosed) return;
    this.failures++;
    this.transport.reportStreamFailure(open.endpoint, error);
    this.logger.info({ stream: this.name, endpoint: open.endpoint.address, err: error.message }, 'stream broken, reconnecting');
    this.ensure();
  }
}
