import * as grpc from '@grpc/grpc-js';
import { grpcChannelCredentials } from '../../lib/grpc/tls';
import type { IdentitySource } from '../../lib/pki/reloading-identity';
import { decodeMessage, encodeMessage, type MessageCodec } from './int64-codec';

/** First reconnect delay after a connection attempt fails (grpc-js default is 1 s). */
export const RECONNECT_INITIAL_BACKOFF_MS = 100;
/** Longest reconnect delay (grpc-js default is 120 s, far too slow to notice a restart). */
export const RECONNECT_MAX_BACKOFF_MS = 1000;
/** Interval of HTTP/2 pings on a connection with calls in flight (detects hung peers). */
export const KEEPALIVE_TIME_MS = 30_000;
/** How long a ping may go unanswered before the connection is declared dead. */
export const KEEPALIVE_TIMEOUT_MS = 10_000;
/** Largest message accepted from the server (etcd's default request limit is 1.5 MiB; ranges can be larger). */
export const MAX_RECEIVE_MESSAGE_BYTES = 2 ** 31 - 1;

/** One RPC of the etcd API: its path and the codecs of its request and response. */
export interface RpcMethod<Req, Res> {
  readonly path: string;
  readonly request: MessageCodec<Req>;
  readonly response: MessageCodec<Res>;
}

/** Thrown by `waitReady` when the endpoint cannot be connected to. */
export class ConnectFailedError extends Error {
  override readonly name = 'ConnectFailedError';
}

/**
 * TLS towards the store, as etcdctl's --cacert / --cert / --key: the CA the members' serving
 * certificates are checked against, and the client certificate and key a member with
 * client-cert-auth asks for (PEM contents, not file names).
 */
export interface StoreClientTls {
  readonly ca: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  /** Where a renewed client certificate comes from (its files, followed); presented instead of `cert` / `key` on new connections. */
  readonly identity?: IdentitySource;
}

/** Channel credentials for `tls`: TLS with the client certificate, or plain text without `tls`. */
export function storeChannelCredentials(tls: StoreClientTls | undefined): grpc.ChannelCredentials {
  if (tls?.identity) return grpcChannelCredentials({ caCert: tls.ca.toString('utf8'), identity: tls.identity });
  return tls ? grpc.credentials.createSsl(tls.ca, tls.key ?? null, tls.cert ?? null) : grpc.credentials.createInsecure();
}

/**
 * Turns "127.0.0.1:2379", "http://127.0.0.1:2379", "https://127.0.0.1:2379/" and the like into
 * the "host:port" form gRPC dials. Whether the channel uses TLS is the client's setting, not the
 * scheme's (as etcd's client with a TLS config); members list their URLs with either.
 */
export function normalizeEndpoint(endpoint: string): string {
  const hostPort = endpoint.trim().replace(/^https?:\/\//, '').replace(/\/+$/, '');
  if (!/^[^/\s]+:\d+$/.test(hostPort)) throw new Error(`bad store endpoint "${endpoint}": want host:port or http(s)://host:port`);
  return hostPort;
}

/**
 * One store member as seen by the client: a lazily connecting gRPC channel to `address`.
 * Owns no retry policy; the transport decides what to do with failures.
 */
export class Endpoint {
  private readonly client: grpc.Client;

  /** `credentials`: see storeChannelCredentials (plain text by default). */
  constructor(
    readonly address: string,
    credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
  ) {
    this.client = new grpc.Client(address, credentials, {
      'grpc.initial_reconnect_backoff_ms': RECONNECT_INITIAL_BACKOFF_MS,
      'grpc.max_reconnect_backoff_ms': RECONNECT_MAX_BACKOFF_MS,
      'grpc.keepalive_time_ms': KEEPALIVE_TIME_MS,
      'grpc.keepalive_timeout_ms': KEEPALIVE_TIMEOUT_MS,
      'grpc.max_receive_message_length': MAX_RECEIVE_MESSAGE_BYTES,
      // One channel per endpoint object: never share subchannels with other clients' channels.
      'grpc.use_local_subchannel_pool': 1,
    });
  }

  /**
   * Resolves once the channel is connected; rejects with ConnectFailedError as soon as a
   * connection attempt fails (rather than waiting out grpc-js' reconnect backoff) or when
   * `deadlineMs` (epoch ms) passes. A request is only sent on a ready channel, so a rejection
   * here proves the request was never sent.
   */
  waitReady(deadlineMs: number): Promise<void> {
    const channel = this.client.getChannel();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const state = channel.getConnectivityState(true);
        switch (state) {
          case grpc.connectivityState.READY:
            resolve();
            return;
          case grpc.connectivityState.TRANSIENT_FAILURE:
            reject(new ConnectFailedError(`cannot connect to ${this.address}`));
            return;
          case grpc.connectivityState.SHUTDOWN:
            reject(new ConnectFailedError(`channel to ${this.address} is closed`));
            return;
          case grpc.connectivityState.IDLE:
          case grpc.connectivityState.CONNECTING:
            if (Date.now() >= deadlineMs) {
              reject(new ConnectFailedError(`timed out connecting to ${this.address}`));
              return;
            }
            channel.watchConnectivityState(state, deadlineMs, () => check());
            return;
        }
      };
      check();
    });
  }

  /** True when the channel is currently connected. */
  isReady(): boolean {
    return this.client.getChannel().getConnectivityState(false) === grpc.connectivityState.READY;
  }

  /** Sends one unary request that must finish by `deadlineMs` (epoch ms). */
  unary<Req, Res>(method: RpcMethod<Req, Res>, request: Req, deadlineMs: number): Promise<Res> {
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        method.path,
        (r: Req) => encodeMessage(method.request, r),
        (b: Buffer) => decodeMessage(method.response, b),
        request,
        new grpc.Metadata(),
        { deadline: new Date(deadlineMs) },
        (err, res) => (err !== null || res === undefined ? reject(err ?? new Error('empty response')) : resolve(res)),
      );
    });
  }

  /** Opens a bidirectional stream; `metadata` lets callers set e.g. etcd's `hasleader`. */
  bidi<Req, Res>(method: RpcMethod<Req, Res>, metadata: grpc.Metadata): grpc.ClientDuplexStream<Req, Res> {
    return this.client.makeBidiStreamRequest(
      method.path,
      (r: Req) => encodeMessage(method.request, r),
      (b: Buffer) => decodeMessage(method.response, b),
      metadata,
      {},
    );
  }

  /** Closes the channel; calls in flight fail with CANCELLED/UNAVAILABLE. */
  close(): void {
    this.client.close();
  }
}
