/**
 * `bosun scheduler`: one replica of the scheduler. It contends for the kube-system/kube-scheduler
 * Lease; while it leads, it runs a scheduling term — fresh informers (the cache rebuilt from the
 * API), then the scheduling loop; when it stops leading the term stops at once. Bindings are
 * one-shot in the API (a second is 409), so a pod is never bound twice even across a takeover.
 * It serves gRPC with reflection, health and the SchedulerStatus API.
 */
import * as os from 'node:os';
import type { GrpcClientTls, GrpcServerTls } from '../../lib/grpc/tls';
import type { Logger } from 'pino';
import { SchedulerStatusService, type SchedulerStatusResponse, type SchedulerStatusServer } from '../../gen/bosun/scheduler';
import { leaseClientFor } from '../../lib/client/api-adapters';
import type { ApiClient } from '../../lib/client/api-client';
import { realClock, type Clock } from '../../lib/client/clock';
import { GrpcApiClient } from '../../lib/client/grpc-api-client';
import { DEFAULT_LEASE_DURATION_MS, DEFAULT_RENEW_DEADLINE_MS, DEFAULT_RETRY_PERIOD_MS, LeaderElector, type Lease } from '../../lib/client/leader-election';
import { ServiceHost } from '../../lib/grpc/service-host';
import { trackLeadership, type Registry } from '../../lib/metrics';
import { mathRandom, type RandomSource } from './algorithm/scheduling-algorithm';
import { LEASES, PODS } from './api-resources';
import { defaultSpreadSelector } from './default-spread-selector';
import { apiEventSink, EventBroadcaster } from '../../lib/client/events';
import { DEFAULT_SCHEDULER_NAME, Scheduler } from './scheduler';
import { ApiSchedulerWrites } from './scheduler-api';
import { SelectedNodeAnnotator } from './selected-node';
import { RESOURCES } from '../../lib/api/resources';
import { SchedulerInformers } from './scheduler-informers';
import { SchedulerMetrics } from './scheduler-metrics';
import { toStatusResponse } from './status-response';

/** The Lease the scheduler replicas contend for (Kubernetes' own). */
export const SCHEDULER_LEASE = { namespace: 'kube-system', name: 'kube-scheduler' } as const;

/** Configuration of a scheduler replica. */
export interface SchedulerServerConfig {
  /** Apiserver gRPC endpoints, host:port. */
  readonly apiservers: readonly string[];
  /** Bearer token of the scheduler's identity (from its kubeconfig), sent on every API call. */
  readonly token?: string;
  /** TLS towards the apiservers (the cluster CA, and a client certificate when the identity has one); undefined: plain text. */
  readonly tls?: GrpcClientTls;
  /** The component's metrics registry: kube-scheduler's metrics and the leader gauge go here (none when absent). */
  readonly metrics?: Registry;
  /** This replica's identity in the lease (default hostname_pid). */
  readonly identity?: string;
  /** Pods with this spec.schedulerName are ours (default "default-scheduler"). */
  readonly schedulerName?: string;
  /** percentageOfNodesToScore (0: adaptive). */
  readonly percentageOfNodesToScore?: number;
  readonly leaseDurationMs?: number;
  readonly renewDeadlineMs?: number;
  readonly retryPeriodMs?: number;
  /** host:port of the gRPC status API ("" for none; port 0 for any free port). */
  readonly grpcListen?: string;
  /** TLS of the gRPC status API (`--tls-cert-file`, `--tls-private-key-file`); undefined: plain text. */
  readonly grpcServingTls?: GrpcServerTls;
}

/** What a term runs. */
interface Term {
  readonly informers: SchedulerInformers;
  readonly scheduler: Scheduler;
  /** The term's Event writer (correlated, rate-limited, written in the background). */
  readonly events: EventBroadcaster;
}

export class SchedulerServer {
  private readonly client: ApiClient;
  private readonly elector: LeaderElector;
  private readonly identity: string;
  private readonly schedulerName: string;
  private term: Term | undefined;
  private stopping: Promise<void> = Promise.resolve();
  private host: ServiceHost | undefined;
  private readonly metrics: SchedulerMetrics | undefined;
  /** The bound gRPC port (0 when not serving). */
  grpcPort = 0;

  private constructor(
    private readonly config: SchedulerServerConfig,
    private readonly logger: Logger,
    private readonly clock: Clock,
    private readonly random: RandomSource,
  ) {
    this.client = new GrpcApiClient({ endpoints: [...config.apiservers], token: config.token, tls: config.tls });
    this.identity = config.identity ?? `${os.hostname()}_${process.pid}`;
    this.schedulerName = config.schedulerName ?? DEFAULT_SCHEDULER_NAME;
    this.elector = new LeaderElector({
      client: leaseClientFor(this.client.resource<Lease>(LEASES)),
      namespace: SCHEDULER_LEASE.namespace,
      name: SCHEDULER_LEASE.name,
      identity: this.identity,
      leaseDurationMs: config.leaseDurationMs ?? DEFAULT_LEASE_DURATION_MS,
      renewDeadlineMs: config.renewDeadlineMs ?? DEFAULT_RENEW_DEADLINE_MS,
      retryPeriodMs: config.retryPeriodMs ?? DEFAULT_RETRY_PERIOD_MS,
      clock,
      logger,
      callbacks: {
        onStartedLeading: () => this.startTerm(),
        onStoppedLeading: () => this.stopTerm(),
        onNewLeader: (leader) => logger.info({ leader }, 'scheduler leader'),
      },
    });
    if (config.metrics) {
      this.metrics = new SchedulerMetrics(config.metrics, this.schedulerName, () => this.term?.scheduler.pending());
      trackLeadership(config.metrics, SCHEDULER_LEASE.name, () => this.elector.isLeader());
    }
  }

  /** Serves the status API, then starts contending for the lease. */
  static async start(config: SchedulerServerConfig, logger: Logger, clock: Clock = realClock, random: RandomSource = mathRandom): Promise<SchedulerServer> {
    const s = new SchedulerServer(config, logger, clock, random);
    if (config.grpcListen) {
      const host = new ServiceHost(['bosun/scheduler.proto'], {}, undefined, config.grpcServingTls);
      host.addService(SchedulerStatusService, s.statusService());
      s.grpcPort = await host.listen(config.grpcListen);
      s.host = host;
    }
    s.elector.start();
    logger.info({ apiservers: config.apiservers, identity: s.identity, grpcPort: s.grpcPort, schedulerName: s.schedulerName }, 'scheduler started');
    return s;
  }

  isLeader(): boolean {
    return this.elector.isLeader();
  }

  /** The status API's answer. */
  status(): SchedulerStatusResponse {
    return toStatusResponse({
      identity: this.identity,
      leader: this.elector.getLeader(),
      leading: this.elector.isLeader(),
      schedulerName: this.schedulerName,
      scheduler: this.term?.scheduler.status(),
    });
  }

  /** Stops scheduling, releases the lease, stops serving and closes the connections. */
  async stop(): Promise<void> {
    await this.elector.stop();
    this.stopTerm();
    await this.stopping;
    await this.host?.shutdown(1000);
    this.client.close();
  }

  private statusService(): SchedulerStatusServer {
    return { status: (_call, callback) => callback(null, this.status()) };
  }

  private startTerm(): void {
    this.logger.info('leading: building the cache and starting to schedule');
    const informers = new SchedulerInformers(this.client, this.logger, this.clock);
    const events = new EventBroadcaster({ sink: apiEventSink(this.client), clock: this.clock, logger: this.logger.child({ part: 'events' }) });
    const scheduler = new Scheduler({
      api: new ApiSchedulerWrites(this.client.resource(PODS), () => this.clock.now(), new SelectedNodeAnnotator(
        this.client.resource(RESOURCES.persistentvolumeclaims), this.client.resource(RESOURCES.storageclasses))),
      events: events.newRecorder({ component: this.schedulerName, host: this.identity }),
      clock: this.clock,
      random: this.random,
      logger: this.logger,
      schedulerName: this.schedulerName,
      percentageOfNodesToScore: this.config.percentageOfNodesToScore,
      spreadSelector: defaultSpreadSelector(informers.spreadListers()),
      disruptionBudgets: informers.disruptionBudgetSource(),
      metrics: this.metrics,
    });
    informers.connect(scheduler);
    const term: Term = { informers, scheduler, events };
    this.term = term;
    const previous = this.stopping;
    void previous
      .then(async () => {
        if (this.term !== term) return;
        await informers.runAndSync();
        if (this.term !== term) return;
        this.logger.info({ nodes: scheduler.status().nodes, pods: scheduler.status().pods, pending: scheduler.status().queue.active }, 'cache synced; scheduling');
        await scheduler.run();
      })
      .catch((err: unknown) => this.logger.error({ err: (err as Error).message }, 'scheduling term failed'));
  }

  private stopTerm(): void {
    const term = this.term;
    if (!term) return;
    this.term = undefined;
    this.logger.info('not leading: stopping scheduling');
    const previous = this.stopping;
    this.stopping = previous.then(async () => {
      await term.scheduler.stop().catch(() => undefined);
      term.informers.stop();
      await term.events.shutdown();
    });
  }
}
