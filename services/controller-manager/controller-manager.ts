import * as os from 'node:os';
import type { Logger } from 'pino';
import type { ResourceInfo } from '../../lib/api/object';
import { leaseClientFor } from '../../lib/client/api-adapters';
import { apiEventSink, EventBroadcaster } from '../../lib/client/events';
import { GrpcApiClient } from '../../lib/client/grpc-api-client';
import {
  DEFAULT_LEASE_DURATION_MS,
  DEFAULT_RENEW_DEADLINE_MS,
  DEFAULT_RETRY_PERIOD_MS,
  LeaderElector,
  type Lease,
} from '../../lib/client/leader-election';
import { trackLeadership, type Registry } from '../../lib/metrics';
import { NamespaceController } from './namespace/namespace-controller';

/** The event source of the namespace controller (Kubernetes' component name). */
export const NAMESPACE_CONTROLLER_COMPONENT = 'namespace-controller';

/** The Lease the controller-manager replicas contend for. */
export const CONTROLLER_MANAGER_LEASE = { namespace: 'kube-system', name: 'kube-controller-manager' } as const;

const LEASES: ResourceInfo = {
  group: 'coordination.k8s.io',
  version: 'v1',
  kind: 'Lease',
  resource: 'leases',
  singular: 'lease',
  namespaced: true,
  shortNames: [],
  categories: [],
};

/** Configuration of a controller-manager. */
export interface ControllerManagerConfig {
  /** Apiserver gRPC endpoints, host:port. */
  readonly apiservers: readonly string[];
  /** Bearer token of the controller-manager's identity (from its kubeconfig), sent on every API call. */
  readonly token?: string;
  /** The component's metrics registry (the leader gauge; controllers' work queues later); none when absent. */
  readonly metrics?: Registry;
  /** This replica's identity in the lease (default hostname_pid). */
  readonly identity?: string;
  readonly leaseDurationMs?: number;
  readonly renewDeadlineMs?: number;
  readonly retryPeriodMs?: number;
}

/** A running controller (started when leading, stopped when not). */
interface Controller {
  run(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The controller-manager: one GrpcApiClient to the apiservers, Lease leader election among
 * replicas, one event broadcaster the controllers record their Events through, and the
 * controllers, which run only while this replica leads (each term gets fresh controllers, so
 * nothing cached from an earlier term is trusted).
 */
export class ControllerManager {
  private readonly client: GrpcApiClient;
  private readonly elector: LeaderElector;
  /** Writes the Events of every controller of this replica. */
  private readonly events: EventBroadcaster;
  private controllers: Controller[] = [];
  private stopping: Promise<void> = Promise.resolve();

  private constructor(
    config: ControllerManagerConfig,
    private readonly logger: Logger,
  ) {
    this.client = new GrpcApiClient({ endpoints: [...config.apiservers], token: config.token });
    this.events = new EventBroadcaster({ sink: apiEventSink(this.client), logger: logger.child({ part: 'events' }) });
    const identity = config.identity ?? `${os.hostname()}_${process.pid}`;
    this.elector = new LeaderElector({
      client: leaseClientFor(this.client.resource<Lease>(LEASES)),
      namespace: CONTROLLER_MANAGER_LEASE.namespace,
      name: CONTROLLER_MANAGER_LEASE.name,
      identity,
      leaseDurationMs: config.leaseDurationMs ?? DEFAULT_LEASE_DURATION_MS,
      renewDeadlineMs: config.renewDeadlineMs ?? DEFAULT_RENEW_DEADLINE_MS,
      retryPeriodMs: config.retryPeriodMs ?? DEFAULT_RETRY_PERIOD_MS,
      logger,
      callbacks: {
        onStartedLeading: () => this.startControllers(),
        onStoppedLeading: () => this.stopControllers(),
        onNewLeader: (leader) => logger.info({ leader }, 'controller-manager leader'),
      },
    });
    if (config.metrics) trackLeadership(config.metrics, CONTROLLER_MANAGER_LEASE.name, () => this.elector.isLeader());
  }

  /** Connects and starts contending for the lease. */
  static start(config: ControllerManagerConfig, logger: Logger): ControllerManager {
    const cm = new ControllerManager(config, logger);
    cm.elector.start();
    logger.info({ apiservers: config.apiservers }, 'controller-manager started');
    return cm;
  }

  /** Whether this replica leads (runs the controllers). */
  isLeader(): boolean {
    return this.elector.isLeader();
  }

  /** Stops the controllers, releases the lease and closes the connections. */
  async stop(): Promise<void> {
    await this.elector.stop();
    this.stopControllers();
    await this.stopping;
    await this.events.shutdown();
    this.client.close();
  }

  private startControllers(): void {
    this.logger.info('leading: starting controllers');
    const controllers: Controller[] = [
      new NamespaceController({
        client: this.client,
        logger: this.logger.child({ controller: 'namespace' }),
        recorder: this.events.newRecorder({ component: NAMESPACE_CONTROLLER_COMPONENT }),
      }),
    ];
    this.controllers = controllers;
    const previous = this.stopping;
    for (const c of controllers) {
      void previous
        .then(() => (this.controllers === controllers ? c.run() : undefined))
        .catch((err: unknown) => this.logger.error({ err: (err as Error).message }, 'controller failed to start'));
    }
  }

  private stopControllers(): void {
    const controllers = this.controllers;
    if (controllers.length === 0) return;
    this.controllers = [];
    this.logger.info('not leading: stopping controllers');
    const previous = this.stopping;
    this.stopping = previous.then(() => Promise.all(controllers.map((c) => c.stop().catch(() => undefined)))).then(() => undefined);
  }
}
