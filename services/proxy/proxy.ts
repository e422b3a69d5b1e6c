/**
 * The proxy's control loop (kube-proxy's Proxier loop with its BoundedFrequencyRunner): shared
 * informers on Services and EndpointSlices feed the {@link ServiceTable}; every change asks for
 * a sync of the data path, and syncs run
 * - at most once per `minSyncPeriodMs` (default 1 s) however fast the API churns — changes that
 *   arrive meanwhile are gathered into the next sync;
 * - in full (`'all'`) at start and every `syncPeriodMs` (default 30 s), so whatever drifted in
 *   the data path is put back;
 * - again after a failure, with exponential backoff from `minSyncPeriodMs` up to
 *   `syncPeriodMs`; a failed sync is retried in full (its changed keys are not lost).
 * All timing comes from the injected clock, so tests drive it with a fake one.
 */
import type { Logger } from 'pino';
import type { ApiClient } from '../../lib/client/api-client';
import { type Clock, realClock, type Timer } from '../../lib/client/clock';
import { SharedInformerFactory } from '../../lib/controller/informer-factory';
import { type ServicePortEntry, ServiceTable } from '../../lib/network/service-table';
import { feedServiceTable } from '../../lib/network/service-table-feed';
import type { DataPath, SyncResult } from './data-path';
import type { ProxyMetrics } from './proxy-metrics';

/** kube-proxy's --min-sync-period default: at most one sync per second. */
export const DEFAULT_MIN_SYNC_PERIOD_MS = 1_000;
/** kube-proxy's --sync-period default: a full resync every 30 s. */
export const DEFAULT_SYNC_PERIOD_MS = 30_000;

/** Constructor parameters of a {@link ServiceProxy}. */
export interface ServiceProxyOptions {
  readonly client: ApiClient;
  readonly dataPath: DataPath;
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly minSyncPeriodMs?: number;
  readonly syncPeriodMs?: number;
  readonly metrics?: ProxyMetrics;
}

/** What the status API reports about syncing. */
export interface SyncState {
  /** Epoch ms of the end of the last successful sync (0: none yet). */
  readonly lastSyncMs: number;
  readonly lastSyncDurationMs: number;
  readonly lastResult?: SyncResult;
  /** The last sync's error, until a sync succeeds. */
  readonly lastError?: string;
  readonly syncs: number;
  readonly failures: number;
}

/** The control loop. See the file comment. */
export class ServiceProxy {
  readonly table = new ServiceTable();
  /**
   * The entries as the last successful syncs put them into the data path: the status API reports
   * these, so "out of rotation" means the kernel (or relay) no longer sends there, not merely that
   * the table changed and a sync is pending.
   */
  private readonly applied = new Map<string, ServicePortEntry>();
  private readonly clock: Clock;
  private readonly minSyncPeriodMs: number;
  private readonly syncPeriodMs: number;
  private informers: SharedInformerFactory | undefined;
  private syncTimer: Timer | undefined;
  private resyncTimer: Timer | undefined;
  private running: Promise<void> | undefined;
  /** A change arrived since the last sync began. */
  private dirty = false;
  /** The next sync must be a full one (start, resync period, after a failure). */
  private fullDue = true;
  private lastStartMs = Number.NEGATIVE_INFINITY;
  private consecutiveFailures = 0;
  private stopped = false;
  /** The caches have synced: syncs may run (changes before that are covered by the first full sync). */
  private cachesSynced = false;
  private state: SyncState = { lastSyncMs: 0, lastSyncDurationMs: 0, syncs: 0, failures: 0 };

  constructor(private readonly options: ServiceProxyOptions) {
    this.clock = options.clock ?? realClock;
    this.minSyncPeriodMs = options.minSyncPeriodMs ?? DEFAULT_MIN_SYNC_PERIOD_MS;
    this.syncPeriodMs = options.syncPeriodMs ?? DEFAULT_SYNC_PERIOD_MS;
  }

  get dataPath(): DataPath {
    return this.options.dataPath;
  }

  /** The entries the data path serves (as of the last successful sync), sorted by key. */
  appliedEntries(): ServicePortEntry[] {
    return [...this.applied.values()].sort((a, b) => a.key.localeCompare(b.key));
  }

  /** Sync figures for the status API. */
  syncState(): SyncState {
    return this.state;
  }

  /** Prepares the data path, fills the table from the API and runs the first (full) sync. */
  async start(): Promise<void> {
    await this.options.dataPath.start();
    const informers = new SharedInformerFactory({ client: this.options.client, clock: this.clock, logger: this.options.logger.child({ part: 'informers' }) });
    this.informers = informers;
    feedServiceTable(informers, () => this.requestSync(), this.table);
    informers.start();
    await informers.waitForCacheSync();
    if (this.stopped) return;
    this.options.logger.info({ servicePorts: this.table.entries().length }, 'caches synced; syncing the data path');
    this.fullDue = true;
    this.cachesSynced = true;
    await this.syncNow();
  }

  /** Asks for a sync (rate-limited; see the file comment). Cheap: call it on every change. */
  requestSync(): void {
    this.dirty = true;
    this.schedule();
  }

  /** Resolves when no sync is running (tests). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Stops the informers and timers, waits for a running sync, then stops the data path. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.informers?.stop();
    this.syncTimer?.cancel();
    this.resyncTimer?.cancel();
    await this.idle();
    await this.options.dataPath.stop();
  }

  /** Sets the sync timer unless one is set or a sync runs (it reschedules when done). */
  private schedule(): void {
    if (this.stopped || this.syncTimer || this.running || !this.cachesSynced) return;
    if (!this.dirty && !this.fullDue) return;
    const backoff = this.consecutiveFailures > 0 ? Math.min(this.minSyncPeriodMs * 2 ** (this.consecutiveFailures - 1), this.syncPeriodMs) : this.minSyncPeriodMs;
    const delay = Math.max(0, this.lastStartMs + backoff - this.clock.now());
    this.syncTimer = this.clock.setTimer(delay, () => {
      this.syncTimer = undefined;
      void this.syncNow();
    });
  }

  private syncNow(): Promise<void> {
    if (this.running || this.stopped) return this.running ?? Promise.resolve();
    this.running = this.runSync().finally(() => {
      this.running = undefined;
      this.schedule();
    });
    return this.running;
  }

  private async runSync(): Promise<void> {
    const full = this.fullDue;
    const changed = this.table.takeChanges();
    this.dirty = false;
    this.fullDue = false;
    const started = this.clock.now();
    this.lastStartMs = started;
    const syncing = full ? new Map(this.table.entries().map((e) => [e.key, e])) : new Map([...changed].map((k) => [k, this.table.get(k)]));
    try {
      const result = await this.options.dataPath.sync(this.table, full ? 'all' : changed);
      if (full) this.applied.clear();
      for (const [key, entry] of syncing) {
        if (entry) this.applied.set(key, entry);
        else this.applied.delete(key);
      }
      const now = this.clock.now();
      this.consecutiveFailures = 0;
      this.state = { lastSyncMs: now, lastSyncDurationMs: now - started, lastResult: result, syncs: this.state.syncs + 1, failures: this.state.failures };
      this.options.metrics?.synced(result, now - started, now);
      this.options.logger.debug({ full, changed: full ? 'all' : changed.size, ...result, durationMs: now - started }, 'synced');
      if (full) this.armResync();
    } catch (err) {
      this.consecutiveFailures++;
      this.fullDue = true;
      this.state = { ...this.state, lastError: (err as Error).message, failures: this.state.failures + 1 };
      this.options.metrics?.failed();
      this.options.logger.warn({ err: (err as Error).message, attempt: this.consecutiveFailures }, 'sync failed; retrying with backoff');
    }
  }

  /** The next full resync, `syncPeriodMs` after this one. */
  private armResync(): void {
    this.resyncTimer?.cancel();
    if (this.stopped) return;
    this.resyncTimer = this.clock.setTimer(this.syncPeriodMs, () => {
      this.resyncTimer = undefined;
      this.fullDue = true;
      this.schedule();
    });
  }
}
