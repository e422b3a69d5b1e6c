import type { StoreError } from '../errors';
import { backoffDelayMs, delay } from './backoff';
import { ClientClosedError, decideOnFailure, EndpointsUnavailableError, IndeterminateError, type FailureDecision } from './client-errors';
import * as grpc from '@grpc/grpc-js';
import { Endpoint, normalizeEndpoint, storeChannelCredentials, type RpcMethod, type StoreClientTls } from './endpoint';
import type { ClientLogger } from './logger';
import { MEMBER_LIST, STATUS } from './rpc-methods';
import { ErrLeaderChanged, ErrNoLeader, ErrNotLeader } from '../errors';

/** Time allowed for the Status + MemberList probe that finds the leader. */
export const LEADER_PROBE_TIMEOUT_MS = 1000;
/** Minimum spacing between leader probes, so failing probes cannot storm the cluster. */
export const LEADER_PROBE_INTERVAL_MS = 1000;

/** Whether a request changes state: decides if a failure after sending may be retried. */
export type RpcKind = 'read' | 'write';

/** The outcome of one attempt. */
type Attempt<Res> = { readonly action: 'done'; readonly value: Res } | FailureDecision;

/** Settings of a Transport (see StoreClientOptions for their meaning). */
export interface TransportOptions {
  readonly endpoints: readonly string[];
  readonly dialTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly preferLeader: boolean;
  readonly logger: ClientLogger;
  readonly random: () => number;
  /** TLS towards every endpoint; plain text when absent. */
  readonly tls?: StoreClientTls;
}

/** Per-call overrides of a unary request. */
export interface UnaryOptions {
  /** Send only to this endpoint, with no retry or failover. */
  readonly endpoint?: string;
  /** Overall budget of the call, retries included. */
  readonly timeoutMs?: number;
}

/**
 * The endpoint list, the choice of the endpoint to talk to, and the retry policy.
 *
 * Every request goes to the "current" endpoint (the first one given, or the leader when
 * `preferLeader` is set). When the current endpoint cannot be reached, or answers in a way
 * that suggests it is unhealthy, the transport moves on to the next endpoint in order.
 * Invariant: a request is only sent on a connected channel, so a connect failure always means
 * "not sent" and may be retried even for writes.
 */
export class Transport {
  private readonly endpoints: Endpoint[];
  private current = 0;
  private closed = false;
  private leaderStale = true;
  private leaderProbe: Promise<void> | undefined;
  private lastLeaderProbeMs = 0;
  private readonly credentials: grpc.ChannelCredentials;

  constructor(private readonly options: TransportOptions) {
    if (options.endpoints.length === 0) throw new Error('store client needs at least one endpoint');
    const https = options.endpoints.find((e) => e.trim().startsWith('https://'));
    if (https !== undefined && !options.tls) throw new Error(`store endpoint "${https}" is https:// but the client has no TLS settings (a CA, e.g. --etcd-cafile)`);
    this.credentials = storeChannelCredentials(options.tls);
    const addresses = [...new Set(options.endpoints.map(normalizeEndpoint))];
    this.endpoints = addresses.map((address) => new Endpoint(address, this.credentials));
  }

  /** The address ("host:port") requests are currently sent to. */
  get currentAddress(): string {
    return this.endpoints[this.current]!.address;
  }

  /** All endpoint addresses, in the order given. */
  get addresses(): string[] {
    return this.endpoints.map((e) => e.address);
  }

  /**
   * Sends one unary request, retrying with backoff (and on another endpoint when the current
   * one seems down) until it succeeds, fails for good, or the deadline passes. Throws a
   * StoreError; IndeterminateError when a write may or may not have been applied.
   */
  async unary<Req, Res>(method: RpcMethod<Req, Res>, request: Req, kind: RpcKind, opts: UnaryOptions = {}): Promise<Res> {
    const deadline = Date.now() + (opts.timeoutMs ?? this.options.requestTimeoutMs);
    const pinned = opts.endpoint === undefined ? undefined : this.endpointFor(opts.endpoint);
    try {
      for (let attempt = 1; ; attempt++) {
        this.assertOpen();
        const endpoint = pinned ?? (await this.pick(deadline));
        const decision = await this.attempt(endpoint, method, request, kind, deadline);
        if (decision.action === 'done') return decision.value;
        if (decision.action === 'throw') throw decision.error;
        if (decision.action === 'indeterminate') throw new IndeterminateError(decision.error, endpoint.address);
        this.noteRetryable(endpoint, decision.error, decision.failover && pinned === undefined);
        const wait = backoffDelayMs(attempt, this.options.random);
        if (pinned !== undefined || Date.now() + wait >= deadline) throw decision.error;
        this.options.logger.debug({ endpoint: endpoint.address, method: method.path, attempt, err: decision.error.message }, 'retrying store request');
        await delay(wait);
      }
    } finally {
      if (pinned !== undefined && !this.endpoints.includes(pinned)) pinned.close();
    }
  }

  /**
   * Picks an endpoint for a long-lived stream and waits until it is connected, failing over
   * with backoff for as long as it takes. Rejects only with ClientClosedError.
   */
  async connectForStream(): Promise<Endpoint> {
    for (let attempt = 1; ; attempt++) {
      this.assertOpen();
      const dialDeadline = Date.now() + this.options.dialTimeoutMs;
      const endpoint = await this.pick(dialDeadline);
      try {
        await endpoint.waitReady(dialDeadline);
        this.assertOpen();
        return endpoint;
      } catch (err) {
        if (err instanceof ClientClosedError) throw err;
        this.failover(endpoint);
        await delay(backoffDelayMs(attempt, this.options.random));
      }
    }
  }

  /** Tells the transport that a stream on `endpoint` broke, so the next pick avoids it. */
  reportStreamFailure(endpoint: Endpoint, error: StoreError): void {
    this.noteRetryable(endpoint, error, true);
  }

  /** Closes every channel; later calls throw ClientClosedError. */
  close(): void {
    this.closed = true;
    for (const e of this.endpoints) e.close();
  }

  /** True once close() was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** One try on one endpoint: the response, or what to do about the failure. */
  private async attempt<Req, Res>(endpoint: Endpoint, method: RpcMethod<Req, Res>, request: Req, kind: RpcKind, deadline: number): Promise<Attempt<Res>> {
    const connected = await endpoint.waitReady(Math.min(deadline, Date.now() + this.options.dialTimeoutMs)).then(
      () => true,
      () => false,
    );
    if (!connected) {
      return { action: 'retry', error: new EndpointsUnavailableError(`cannot connect to ${endpoint.address}`), failover: true };
    }
    try {
      return { action: 'done', value: await endpoint.unary(method, request, deadline) };
    } catch (err) {
      this.assertOpen();
      return decideOnFailure(err as Error, kind === 'write', true);
    }
  }

  private noteRetryable(endpoint: Endpoint, error: StoreError, failover: boolean): void {
    if (error instanceof ErrNoLeader || error instanceof ErrNotLeader || error instanceof ErrLeaderChanged) this.leaderStale = true;
    if (failover) this.failover(endpoint);
  }

  /** Moves off `endpoint` if it is still the current one (concurrent failures move once). */
  private failover(endpoint: Endpoint): void {
    const index = this.endpoints.indexOf(endpoint);
    if (index !== this.current || this.endpoints.length === 1) return;
    this.current = (index + 1) % this.endpoints.length;
    this.leaderStale = true;
    this.options.logger.info({ from: endpoint.address, to: this.currentAddress }, 'store endpoint failover');
  }

  private async pick(deadline: number): Promise<Endpoint> {
    if (this.options.preferLeader && this.leaderStale && this.endpoints.length > 1) {
      if (this.leaderProbe === undefined && Date.now() - this.lastLeaderProbeMs >= LEADER_PROBE_INTERVAL_MS) {
        this.lastLeaderProbeMs = Date.now();
        this.leaderProbe = this.findLeader(Math.min(deadline, Date.now() + LEADER_PROBE_TIMEOUT_MS)).finally(() => {
          this.leaderProbe = undefined;
        });
      }
      if (this.leaderProbe !== undefined) await this.leaderProbe;
    }
    return this.endpoints[this.current]!;
  }

  /** Asks the current endpoint who leads, and makes the leader's endpoint current if we know it. */
  private async findLeader(deadline: number): Promise<void> {
    const asked = this.endpoints[this.current]!;
    const timeoutMs = Math.max(1, deadline - Date.now());
    try {
      const status = await this.unary(STATUS, {}, 'read', { endpoint: asked.address, timeoutMs });
      if (status.leader === 0) return;
      const { members } = await this.unary(MEMBER_LIST, { linearizable: false }, 'read', { endpoint: asked.address, timeoutMs });
      const leader = members.find((m) => m.ID === status.leader);
      const urls = new Set((leader?.clientURLs ?? []).flatMap((u) => safeNormalize(u)));
      const index = this.endpoints.findIndex((e) => urls.has(e.address));
      if (index >= 0) this.current = index;
      this.leaderStale = false;
      this.options.logger.debug({ leader: this.currentAddress, known: index >= 0 }, 'store leader probed');
    } catch (err) {
      this.options.logger.debug({ endpoint: asked.address, err: (err as Error).message }, 'store leader probe failed');
    }
  }

  private endpointFor(address: string): Endpoint {
    const normalized = normalizeEndpoint(address);
    return this.endpoints.find((e) => e.address === normalized) ?? new Endpoint(normalized, this.credentials);
  }

  private assertOpen(): void {
    if (this.closed) throw new ClientClosedError();
  }
}

function safeNormalize(url: string): string[] {
  try {
    return [normalizeEndpoint(url)];
  } catch {
    return [];
  }
}
