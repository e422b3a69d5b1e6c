import type { KeyValue } from '../../gen/etcd/kv';
import type { Member, StatusResponse, TxnRequest, TxnResponse } from '../../gen/etcd/rpc';
import { LeaseKeeper, type KeepAliveHandle } from './lease-keeper';
import { SILENT_LOGGER, type ClientLogger } from './logger';
import * as rpc from './rpc-methods';
import { Transport, type RpcKind } from './transport';
import type { StoreClientTls } from './endpoint';
import {
  casResult,
  createIfAbsentTxn,
  deleteIfModRevisionTxn,
  putIfModRevisionTxn,
  rangeEndFor,
  rangeRequest,
  toBuffer,
  txnWrites,
  type Bytes,
  type CasResult,
  type RangeOptions,
} from './txn-builder';
import { WatchStream, type WatchHandle, type WatchListener, type WatchOptions } from './watch-stream';

/** Default time to establish a connection to one endpoint before trying the next. */
export const DEFAULT_DIAL_TIMEOUT_MS = 2000;
/** Default budget of one request, retries and failovers included. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** Client-chosen lease IDs are drawn from [1, MAX_CLIENT_LEASE_ID] (exact as JS numbers). */
export const MAX_CLIENT_LEASE_ID = 2 ** 52;

/** Settings of a StoreClient. */
export interface StoreClientOptions {
  /** Store members, as "host:port" or "http://host:port". Requests go to the first by default. */
  readonly endpoints: readonly string[];
  /** Time to connect to one endpoint before moving on (default DEFAULT_DIAL_TIMEOUT_MS). */
  readonly dialTimeoutMs?: number;
  /** Budget of each request including retries (default DEFAULT_REQUEST_TIMEOUT_MS). */
  readonly requestTimeoutMs?: number;
  /** Send requests to the leader's endpoint when it is in `endpoints` (found via Status + MemberList). */
  readonly preferLeader?: boolean;
  /** pino-style logger; silent by default. */
  readonly logger?: ClientLogger;
  /** Random source in [0, 1) for backoff jitter and lease IDs (default Math.random). */
  readonly random?: () => number;
  /** TLS towards the members (etcdctl's --cacert/--cert/--key); plain text when absent. */
  readonly tls?: StoreClientTls;
}

/** Result of get(). */
export interface GetResult {
  /** The store revision the read was served at. */
  readonly revision: number;
  readonly kvs: KeyValue[];
  /** Number of keys in the range (ignores `limit`). */
  readonly count: number;
  /** True when `limit` cut the result short. */
  readonly more: boolean;
}

/** Result of put(). */
export interface PutResult {
  readonly revision: number;
  readonly prevKv?: KeyValue;
}

/** Result of delete(). */
export interface DeleteResult {
  readonly revision: number;
  readonly deleted: number;
  readonly prevKvs: KeyValue[];
}

/** Result of grant(). */
export interface LeaseGrant {
  readonly id: number;
  readonly ttl: number;
  readonly revision: number;
}

/** Result of timeToLive(). */
export interface LeaseTimeToLive {
  readonly id: number;
  /** Remaining seconds; -1 when the lease has expired or never existed. */
  readonly ttl: number;
  readonly grantedTtl: number;
  /** Attached keys (when asked for). */
  readonly keys: Buffer[];
}

/**
 * The client every Bosun service uses to talk to the store, over the etcd v3 gRPC API (so it
 * works against a real etcd as well). Requests fail over between endpoints and retry with
 * backoff within `requestTimeoutMs`; all errors are StoreErrors (store/errors.ts catalog or
 * client-errors.ts). A write whose outcome is unknown throws IndeterminateError and is never
 * retried. Watches and lease keep-alives each share one stream per client and survive
 * endpoint failures.
 */
export class StoreClient {
  private readonly transport: Transport;
  private readonly watches: WatchStream;
  private readonly leases: LeaseKeeper;
  private readonly random: () => number;

  constructor(options: StoreClientOptions) {
    const logger = options.logger ?? SILENT_LOGGER;
    this.random = options.random ?? Math.random;
    this.transport = new Transport({
      endpoints: options.endpoints,
      dialTimeoutMs: options.dialTimeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS,
      requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      preferLeader: options.preferLeader ?? false,
      logger,
      random: this.random,
      tls: options.tls,
    });
    this.watches = new WatchStream(this.transport, logger, this.random);
    this.leases = new LeaseKeeper(this.transport, logger, this.random);
  }

  /** The endpoint ("host:port") requests currently go to. */
  get currentEndpoint(): string {
    return this.transport.currentAddress;
  }

  // ---- KV ----

  /** Reads one key, a prefix or a range (linearizable unless `serializable`). */
  async get(key: Bytes, opts: RangeOptions = {}): Promise<GetResult> {
    const res = await this.transport.unary(rpc.RANGE, rangeRequest(key, opts), 'read');
    return { revision: res.header?.revision ?? 0, kvs: res.kvs, count: res.count, more: res.more };
  }

  /** Writes `value` at `key`, optionally attached to a lease; `prevKv` returns the old pair. */
  async put(key: Bytes, value: Bytes, opts: { readonly lease?: number; readonly prevKv?: boolean } = {}): Promise<PutResult> {
    const res = await this.transport.unary(
      rpc.PUT,
      { key: toBuffer(key), value: toBuffer(value), lease: opts.lease ?? 0, prevKv: opts.prevKv ?? false, ignoreValue: false, ignoreLease: false },
      'write',
    );
    return { revision: res.header?.revision ?? 0, prevKv: res.prevKv };
  }

  /** Deletes `key`, or every key under it with `prefix`, or [key, rangeEnd). */
  async delete(key: Bytes, opts: { readonly prefix?: boolean; readonly rangeEnd?: Bytes; readonly prevKv?: boolean } = {}): Promise<DeleteResult> {
    const res = await this.transport.unary(rpc.DELETE_RANGE, { key: toBuffer(key), rangeEnd: rangeEndFor(key, opts), prevKv: opts.prevKv ?? false }, 'write');
    return { revision: res.header?.revision ?? 0, deleted: res.deleted, prevKvs: res.prevKvs };
  }

  /** Runs a transaction (build it with txn-builder's compareX and opX helpers). */
  txn(req: TxnRequest): Promise<TxnResponse> {
    const kind: RpcKind = txnWrites(req) ? 'write' : 'read';
    return this.transport.unary(rpc.TXN, req, kind);
  }

  /** Puts only if the key's mod revision is `modRevision`; on conflict returns the current key. */
  async putIfModRevision(key: Bytes, value: Bytes, modRevision: number, opts: { readonly lease?: number } = {}): Promise<CasResult> {
    return casResult(await this.txn(putIfModRevisionTxn(key, value, modRevision, opts)));
  }

  /** Creates the key only if absent; on conflict returns the existing key. */
  async createIfAbsent(key: Bytes, value: Bytes, opts: { readonly lease?: number } = {}): Promise<CasResult> {
    return casResult(await this.txn(createIfAbsentTxn(key, value, opts)));
  }

  /** Deletes only if the key's mod revision is `modRevision`; on conflict returns the current key. */
  async deleteIfModRevision(key: Bytes, modRevision: number): Promise<CasResult> {
    return casResult(await this.txn(deleteIfModRevisionTxn(key, modRevision)));
  }

  /** Discards history before `revision`; `physical` waits until the space is reclaimed. */
  async compact(revision: number, opts: { readonly physical?: boolean } = {}): Promise<void> {
    await this.transport.unary(rpc.COMPACT, { revision, physical: opts.physical ?? false }, 'write');
  }

  // ---- Lease ----

  /**
   * Grants a lease of `ttl` seconds. The ID is chosen by the client (random in
   * [1, MAX_CLIENT_LEASE_ID], exact as a JS number) unless `id` is given; `id: 0` lets the
   * server choose (etcd picks 63-bit IDs, which come back as int64-codec aliases).
   */
  async grant(ttl: number, opts: { readonly id?: number } = {}): Promise<LeaseGrant> {
    const id = opts.id ?? 1 + Math.floor(this.random() * MAX_CLIENT_LEASE_ID);
    const res = await this.transport.unary(rpc.LEASE_GRANT, { TTL: ttl, ID: id }, 'write');
    return { id: res.ID, ttl: res.TTL, revision: res.header?.revision ?? 0 };
  }

  /** Revokes a lease, deleting its keys; ErrLeaseNotFound if it does not exist. */
  async revoke(id: number): Promise<void> {
    await this.transport.unary(rpc.LEASE_REVOKE, { ID: id }, 'write');
  }

  /** Keeps a lease alive until stopped (see KeepAliveHandle). */
  keepAlive(id: number): KeepAliveHandle {
    return this.leases.keepAlive(id);
  }

  /** A lease's remaining and granted TTL, and its keys with `keys`. */
  async timeToLive(id: number, opts: { readonly keys?: boolean } = {}): Promise<LeaseTimeToLive> {
    const res = await this.transport.unary(rpc.LEASE_TIME_TO_LIVE, { ID: id, keys: opts.keys ?? false }, 'read');
    return { id: res.ID, ttl: res.TTL, grantedTtl: res.grantedTTL, keys: res.keys };
  }

  // ---- Watch ----

  /** Watches a key, prefix or range (see WatchOptions, WatchListener, WatchHandle). */
  watch(key: Bytes, opts: WatchOptions, onEvents: WatchListener): WatchHandle {
    return this.watches.watch(key, opts, onEvents);
  }

  // ---- Cluster / Maintenance ----

  /** The cluster's members, with their client URLs. */
  async memberList(): Promise<Member[]> {
    return (await this.transport.unary(rpc.MEMBER_LIST, { linearizable: false }, 'read')).members;
  }

  /** Status of `endpoint` (no failover), or of the current endpoint. */
  status(endpoint?: string): Promise<StatusResponse> {
    return this.transport.unary(rpc.STATUS, {}, 'read', endpoint === undefined ? {} : { endpoint });
  }

  /** Ends watches and keep-alives and closes every connection. Idempotent. */
  close(): void {
    this.watches.close();
    this.leases.close();
    this.transport.close();
  }
}
