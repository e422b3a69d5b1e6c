/**
 * Leader election on `coordination.k8s.io/v1` Lease objects, with Kubernetes' semantics and
 * defaults (client-go `tools/leaderelection`):
 *
 * - A candidate tries every `retryPeriodMs` to take the lease: when it is absent (create), free
 *   (holderIdentity ""), expired (renewTime + leaseDurationSeconds < now) or already ours. Writes
 *   are compare-and-swap on resourceVersion, so of several contenders exactly one wins; taking
 *   over from another holder sets acquireTime and increments leaseTransitions.
 * - The leader renews every `retryPeriodMs`. Invariant: it believes it leads only until
 *   `lastRenewStart + renewDeadlineMs`, and the lease it wrote is valid until
 *   `lastRenewStart + leaseDurationMs`, which is later (renewDeadline < leaseDuration is
 *   enforced) — so, with clocks in step, no two electors believe they lead at once. When that
 *   deadline passes without a successful renewal (store unreachable, lease lost), it steps down
 *   (`onStoppedLeading`) and becomes a candidate again.
 * - `stop()` steps down and releases the lease (holderIdentity "", leaseDurationSeconds 1), so a
 *   successor takes over at its next try instead of waiting for expiry.
 *
 * No jitter is applied to the retry period, so runs under a fake clock are deterministic.
 */
import type { Logger } from 'pino';
import type { Lease, LeaseSpec } from '../api/types/coordination';
import { Clock, realClock, Timer } from './clock';

/** Default lease duration, in milliseconds (Kubernetes: 15 s). */
export const DEFAULT_LEASE_DURATION_MS = 15_000;
/** Default time a leader keeps trying to renew before it steps down, in milliseconds (Kubernetes: 10 s). */
export const DEFAULT_RENEW_DEADLINE_MS = 10_000;
/** Default interval between acquire or renew attempts, in milliseconds (Kubernetes: 2 s). */
export const DEFAULT_RETRY_PERIOD_MS = 2_000;
/** Lease duration written on release, in seconds, so the released lease reads as expired soon. */
export const RELEASED_LEASE_DURATION_SECONDS = 1;
/** How many times stop() tries to release the lease when its write conflicts. */
export const RELEASE_ATTEMPTS = 2;
/** HTTP-style code of a compare-and-swap conflict (and of AlreadyExists on create). */
export const CONFLICT_CODE = 409;

/** The Lease kind (lib/api/types/coordination), re-exported for the elector's users. */
export type { Lease, LeaseSpec };

/**
 * What the elector needs from the API. `update` is compare-and-swap on
 * `metadata.resourceVersion`; a stale version (and `create` of an existing lease) rejects with
 * an error whose `code === 409`.
 */
export interface LeaseClient {
  get(namespace: string, name: string): Promise<Lease | undefined>;
  create(lease: Lease): Promise<Lease>;
  update(lease: Lease): Promise<Lease>;
}

/** Callbacks of a {@link LeaderElector}; each is called synchronously and should not throw. */
export interface LeaderCallbacks {
  /** This elector became leader: start working. */
  onStartedLeading?(): void;
  /** This elector is no longer leader (deadline passed, or stop()): stop working at once. */
  onStoppedLeading?(): void;
  /** The observed holder changed (including to this elector). */
  onNewLeader?(identity: string): void;
}

/** Options of a {@link LeaderElector}. */
export interface LeaderElectorOptions {
  client: LeaseClient;
  namespace: string;
  name: string;
  /** This candidate's identity, unique among contenders (e.g. hostname + pid). */
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  callbacks?: LeaderCallbacks;
  clock?: Clock;
  logger?: Logger;
}

type State = 'idle' | 'candidate' | 'leading' | 'stopped';

/** Formats epoch milliseconds as a Kubernetes MicroTime (`2026-01-01T00:00:00.000000Z`). */
export function formatMicroTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Parses a Kubernetes Time or MicroTime to epoch milliseconds; NaN when malformed. */
export function parseMicroTime(s: string): number {
  return Date.parse(s);
}

/** Whether `err` is a compare-and-swap conflict (`code === 409`). */
export function isConflict(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === CONFLICT_CODE;
}

/** One contender for one Lease. See the file comment for the protocol. */
export class LeaderElector {
  private readonly client: LeaseClient;
  private readonly clock: Clock;
  private readonly logger?: Logger;
  private readonly callbacks: LeaderCallbacks;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private state: State = 'idle';
  /** Bumped on every state change and stop, so stale async continuations do nothing. */
  private epoch = 0;
  private tickTimer?: Timer;
  private deadlineTimer?: Timer;
  private inFlight = false;
  private observedLeader = '';

  constructor(private readonly opts: LeaderElectorOptions) {
    this.client = opts.client;
    this.clock = opts.clock ?? realClock;
    this.logger = opts.logger;
    this.callbacks = opts.callbacks ?? {};
    this.leaseDurationMs = opts.leaseDurationMs ?? DEFAULT_LEASE_DURATION_MS;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? DEFAULT_RENEW_DEADLINE_MS;
    this.retryPeriodMs = opts.retryPeriodMs ?? DEFAULT_RETRY_PERIOD_MS;
    if (!opts.identity) throw new Error('leader election: identity is required');
    if (!(this.leaseDurationMs > this.renewDeadlineMs)) {
      throw new Error(`leader election: leaseDuration (${this.leaseDurationMs} ms) must exceed renewDeadline (${this.renewDeadlineMs} ms)`);
    }
    if (!(this.renewDeadlineMs > this.retryPeriodMs && this.retryPeriodMs > 0)) {
      throw new Error(`leader election: renewDeadline (${this.renewDeadlineMs} ms) must exceed retryPeriod (${this.retryPeriodMs} ms) > 0`);
    }
  }

  /** Starts contending (first attempt at once); idempotent. */
  start(): void {
    if (this.state !== 'idle') return;
    this.become('candidate');
    this.tick();
  }

  /** Whether this elector currently believes it holds the lease. */
  isLeader(): boolean {
    return this.state === 'leading';
  }

  /** The holder last observed in the lease ("" when none). */
  getLeader(): string {
    return this.observedLeader;
  }

  /**
   * Stops contending. A leader steps down first (`onStoppedLeading`), then releases the lease so
   * a successor can take it at once. Resolves when the release write has finished (or failed).
   */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    const wasLeader = this.state === 'leading';
    this.become('stopped');
    if (!wasLeader) return;
    this.callbacks.onStoppedLeading?.();
    // Read the lease fresh: a renewal still in flight may have moved its resourceVersion. A
    // conflict means it moved again meanwhile, so try once more.
    for (let attempt = 0; attempt < RELEASE_ATTEMPTS; attempt++) {
      try {
        const lease = await this.client.get(this.opts.namespace, this.opts.name);
        if (!lease || lease.spec?.holderIdentity !== this.opts.identity) return;
        const now = this.clock.now();
        await this.client.update({
          ...lease,
          spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: RELEASED_LEASE_DURATION_SECONDS, renewTime: formatMicroTime(now) },
        });
        return;
      } catch (err) {
        if (isConflict(err)) continue;
        this.logger?.warn({ err }, 'leader election: release failed');
        return;
      }
    }
  }

  private become(state: State): void {
    this.state = state;
    this.epoch++;
    this.tickTimer?.cancel();
    this.deadlineTimer?.cancel();
    this.tickTimer = this.deadlineTimer = undefined;
    this.inFlight = false;
  }

  /** One acquire-or-renew attempt, then the next one scheduled a retry period later. */
  private tick(): void {
    const epoch = this.epoch;
    if (this.inFlight) return;
    this.inFlight = true;
    const start = this.clock.now();
    let settled = false;
    // An attempt that hangs is abandoned after the renew deadline so the loop goes on.
    const timeout = this.clock.setTimer(this.renewDeadlineMs, () => finish(false));
    const finish = (ok: boolean): void => {
      if (settled) return;
      settled = true;
      timeout.cancel();
      if (epoch !== this.epoch) return;
      this.inFlight = false;
      if (ok) this.renewed(start);
      else if (this.state === 'leading' && this.observedLeader !== '' && this.observedLeader !== this.opts.identity) {
        this.stepDown('lease taken by another holder'); // it no longer says we lead: stop at once
        return;
      }
      this.tickTimer = this.clock.setTimer(this.retryPeriodMs, () => this.tick());
    };
    this.tryAcquireOrRenew(start).then(finish, (err) => {
      this.logger?.warn({ err }, 'leader election: attempt failed');
      finish(false);
    });
  }

  /** A successful write at `start`: lead (again) until start + renewDeadline. */
  private renewed(start: number): void {
    if (this.state === 'candidate') {
      this.become('leading');
      this.logger?.info({ identity: this.opts.identity }, 'leader election: started leading');
      this.callbacks.onStartedLeading?.();
    }
    const epoch = this.epoch;
    this.deadlineTimer?.cancel();
    this.deadlineTimer = this.clock.setTimer(start + this.renewDeadlineMs - this.clock.now(), () => {
      if (epoch !== this.epoch || this.state !== 'leading') return;
      this.stepDown('renew deadline passed');
    });
  }

  /** Leader → candidate: tell the callback, then try again a retry period later. */
  private stepDown(why: string): void {
    this.logger?.warn({ identity: this.opts.identity, why }, 'leader election: stepping down');
    this.become('candidate');
    this.callbacks.onStoppedLeading?.();
    this.tickTimer = this.clock.setTimer(this.retryPeriodMs, () => this.tick());
  }

  /** Reads the lease and, if we may hold it, writes ourselves in as holder. True on success. */
  private async tryAcquireOrRenew(now: number): Promise<boolean> {
    const { namespace, name, identity } = this.opts;
    const leaseDurationSeconds = Math.ceil(this.leaseDurationMs / 1000);
    const nowTime = formatMicroTime(now);
    const current = await this.client.get(namespace, name);
    if (!current) {
      const created = await this.write(() =>
        this.client.create({
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { namespace, name },
          spec: { holderIdentity: identity, leaseDurationSeconds, acquireTime: nowTime, renewTime: nowTime, leaseTransitions: 0 },
        }),
      );
      if (created) this.observe(created);
      return created !== undefined;
    }
    this.observe(current);
    const spec = current.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    if (holder !== identity && holder !== '' && !this.expired(spec, now)) return false;
    const takeover = holder !== identity;
    const updated = await this.write(() =>
      this.client.update({
        ...current,
        spec: {
          ...spec,
          holderIdentity: identity,
          leaseDurationSeconds,
          renewTime: nowTime,
          acquireTime: takeover ? nowTime : spec.acquireTime ?? nowTime,
          leaseTransitions: (spec.leaseTransitions ?? 0) + (takeover ? 1 : 0),
        },
      }),
    );
    if (updated) this.observe(updated);
    return updated !== undefined;
  }

  /** A write that reports a conflict as `undefined` (someone else wrote first). */
  private async write(fn: () => Promise<Lease>): Promise<Lease | undefined> {
    try {
      return await fn();
    } catch (err) {
      if (isConflict(err)) return undefined;
      throw err;
    }
  }

  private expired(spec: LeaseSpec, now: number): boolean {
    const renew = spec.renewTime ? parseMicroTime(spec.renewTime) : NaN;
    if (Number.isNaN(renew)) return true;
    return renew + (spec.leaseDurationSeconds ?? 0) * 1000 < now;
  }

  private observe(lease: Lease): void {
    const holder = lease.spec?.holderIdentity ?? '';
    if (holder !== this.observedLeader) {
      this.observedLeader = holder;
      if (holder !== '') this.callbacks.onNewLeader?.(holder);
    }
  }
}
