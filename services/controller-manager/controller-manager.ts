import * as os from 'node:os';
import type { GrpcClientTls } from '../../lib/grpc/tls';
import type { Logger } from 'pino';
import { RESOURCES } from '../../lib/api/resources';
import { leaseClientFor } from '../../lib/client/api-adapters';
import { realClock } from '../../lib/client/clock';
import { apiEventSink, EventBroadcaster } from '../../lib/client/events';
import { GrpcApiClient } from '../../lib/client/grpc-api-client';
import {
  DEFAULT_LEASE_DURATION_MS,
  DEFAULT_RENEW_DEADLINE_MS,
  DEFAULT_RETRY_PERIOD_MS,
  LeaderElector,
  type Lease,
} from '../../lib/client/leader-election';
import type { ControllerContext } from '../../lib/controller/controller-context';
import { ALL_DEFAULT_CONTROLLERS, ControllerRegistry, type RunningControllers } from '../../lib/controller/controller-registry';
import { SharedInformerFactory } from '../../lib/controller/informer-factory';
import { disruptionControllerDescriptor } from './disruption/disruption-controller';
import { garbageCollectorDescriptor } from './garbage-collector/garbage-collector';
import { NAMESPACE_CONTROLLER_COMPONENT, namespaceControllerDescriptor } from './namespace/namespace-controller';
import { jobControllerDescriptor } from './job/job-controller';
import { cronJobControllerDescriptor } from './cronjob/cronjob-controller';
import { ttlAfterFinishedControllerDescriptor } from './ttlafterfinished/ttl-after-finished-controller';
import { replicaSetControllerDescriptor, replicationControllerDescriptor } from './replicaset';
import { trackLeadership, workQueueMetrics, type Registry } from '../../lib/metrics';
import { deploymentControllerDescriptor } from './deployment/deployment-controller';
import { daemonSetControllerDescriptor } from './daemonset/daemonset-controller';
import { nodeIpamControllerDescriptor, type NodeIpamOptions } from './nodeipam/node-ipam-controller';
import { serviceAccountControllerDescriptor } from './serviceaccount/service-account-controller';
import { resourceQuotaControllerDescriptor } from './resourcequota/resourcequota-controller';
import { endpointControllerDescriptor } from './endpoint/endpoints-controller';
import { endpointSliceControllerDescriptor } from './endpointslice/endpointslice-controller';
import { endpointSliceMirroringControllerDescriptor } from './endpointslicemirroring/endpointslicemirroring-controller';
import { DEFAULT_NODE_LIFECYCLE_OPTIONS, nodeLifecycleControllerDescriptor, type NodeLifecycleOptions } from './nodelifecycle/node-lifecycle-controller';
import { podGcControllerDescriptor } from './podgc/pod-gc-controller';
import { statefulSetControllerDescriptor } from './statefulset/statefulset-controller';
import { serviceLbControllerDescriptor } from './servicelb/servicelb-controller';
import { persistentVolumeControllerDescriptor } from './persistentvolume/persistent-volume-controller';
import { horizontalPodAutoscalerControllerDescriptor, type HpaControllerOptions } from './horizontalpodautoscaler/hpa-controller';
import { rootCaCertPublisherDescriptor } from './rootcacertpublisher/root-ca-cert-publisher';
import { clusterRoleAggregationControllerDescriptor } from './clusterroleaggregation/clusterrole-aggregation-controller';

export { NAMESPACE_CONTROLLER_COMPONENT };

/** The Lease the controller-manager replicas contend for. */
export const CONTROLLER_MANAGER_LEASE = { namespace: 'kube-system', name: 'kube-controller-manager' } as const;

/** Settings of individual controllers (from the controller-manager's flags). */
export interface ControllerSettings {
  readonly nodeLifecycle?: NodeLifecycleOptions;
  /** `--cluster-cidr` and `--node-cidr-mask-size` of the node IPAM controller (defaults 10.42.0.0/16, 24); a bad value is a ConfigError naming the flag. */
  readonly nodeIpam?: Partial<NodeIpamOptions>;
  /** The HPA controller's sync period and metrics source (none: HPAs report no metrics). */
  readonly hpa?: HpaControllerOptions;
  /** `--root-ca-file`, read: the cluster CA the root-ca-cert-publisher puts in every namespace (none: it publishes nothing). */
  readonly rootCa?: string;
}

/** Every controller `bosun controller-manager` knows; a new controller adds its descriptor here. */
export function defaultControllerRegistry(settings: ControllerSettings = {}): ControllerRegistry {
  return new ControllerRegistry([
    namespaceControllerDescriptor,
    disruptionControllerDescriptor,
    garbageCollectorDescriptor,
    jobControllerDescriptor,
    cronJobControllerDescriptor,
    ttlAfterFinishedControllerDescriptor,
    replicaSetControllerDescriptor,
    replicationControllerDescriptor,
    deploymentControllerDescriptor,
    daemonSetControllerDescriptor,
    serviceAccountControllerDescriptor,
    endpointControllerDescriptor,
    endpointSliceControllerDescriptor,
    endpointSliceMirroringControllerDescriptor,
    nodeLifecycleControllerDescriptor(settings.nodeLifecycle ?? DEFAULT_NODE_LIFECYCLE_OPTIONS),
    podGcControllerDescriptor,
    statefulSetControllerDescriptor,
    nodeIpamControllerDescriptor(settings.nodeIpam),
    serviceLbControllerDescriptor,
    resourceQuotaControllerDescriptor,
    persistentVolumeControllerDescriptor,
    horizontalPodAutoscalerControllerDescriptor(settings.hpa ?? {}),
    rootCaCertPublisherDescriptor(settings.rootCa),
    clusterRoleAggregationControllerDescriptor,
  ]);
}

/** Configuration of a controller-manager. */
export interface ControllerManagerConfig {
  /** Apiserver gRPC endpoints, host:port. */
  readonly apiservers: readonly string[];
  /** Bearer token of the controller-manager's identity (from its kubeconfig), sent on every API call. */
  readonly token?: string;
  /** TLS towards the apiservers (the cluster CA, and a client certificate when the identity has one); undefined: plain text. */
  readonly tls?: GrpcClientTls;
  /** The component's metrics registry (the leader gauge, every controller's work queue); none when absent. */
  readonly metrics?: Registry;
  /** This replica's identity in the lease (default hostname_pid). */
  readonly identity?: string;
  readonly leaseDurationMs?: number;
  readonly renewDeadlineMs?: number;
  readonly retryPeriodMs?: number;
  /** The `--controllers` selection (default `*`); checked at start, unknown names are a ConfigError. */
  readonly controllers?: string;
}

/**
 * The controller-manager: one GrpcApiClient to the apiservers, Lease leader election among
 * replicas, one event broadcaster the controllers record their Events through, and the
 * controllers `--controllers` selects from the registry, which run only while this replica
 * leads. Each leadership term gets a fresh {@link ControllerContext} (a new informer factory,
 * so nothing cached in an earlier term is trusted) and fresh controllers.
 */
export class ControllerManager {
  private readonly client: GrpcApiClient;
  private readonly elector: LeaderElector;
  /** Writes the Events of every controller of this replica. */
  private readonly events: EventBroadcaster;
  private readonly registry: ControllerRegistry;
  private readonly enabled: string[];
  /** Where the work queues of every term report (none when the process exposes no metrics). */
  private readonly metrics: Registry | undefined;
  /** The current term: its context and its controllers (resolving once they run); undefined when not leading. */
  private term?: { readonly ctx: ControllerContext; readonly running: Promise<RunningControllers> };
  /** Stops of earlier terms, chained so a new term starts only after the last one stopped. */
  private stopping: Promise<void> = Promise.resolve();

  private constructor(
    config: ControllerManagerConfig,
    private readonly logger: Logger,
    registry: ControllerRegistry,
  ) {
    this.registry = registry;
    this.metrics = config.metrics;
    this.enabled = registry.select(config.controllers ?? ALL_DEFAULT_CONTROLLERS);
    this.client = new GrpcApiClient({ endpoints: [...config.apiservers], token: config.token, tls: config.tls });
    this.events = new EventBroadcaster({ sink: apiEventSink(this.client), logger: logger.child({ part: 'events' }) });
    const identity = config.identity ?? `${os.hostname()}_${process.pid}`;
    this.elector = new LeaderElector({
      client: leaseClientFor(this.client.resource<Lease>(RESOURCES.leases)),
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

  /**
   * Checks the configuration (a ConfigError for unknown `--controllers` names), connects and
   * starts contending for the lease.
   */
  static start(config: ControllerManagerConfig, logger: Logger, registry: ControllerRegistry = defaultControllerRegistry()): ControllerManager {
    const cm = new ControllerManager(config, logger, registry);
    cm.elector.start();
    logger.info({ apiservers: config.apiservers, controllers: cm.enabled }, 'controller-manager started');
    return cm;
  }

  /** Whether this replica leads (runs the controllers). */
  isLeader(): boolean {
    return this.elector.isLeader();
  }

  /** The controllers this replica runs while it leads. */
  enabledControllers(): readonly string[] {
    return this.enabled;
  }

  /** Stops the controllers, releases the lease and closes the connections. */
  async stop(): Promise<void> {
    await this.elector.stop();
    this.stopControllers();
    await this.stopping;
    await this.events.shutdown();
    this.client.close();
  }

  /** The shared parts of one leadership term. */
  private newContext(): ControllerContext {
    return {
      client: this.client,
      informers: new SharedInformerFactory({ client: this.client, logger: this.logger.child({ part: 'informers' }) }),
      recorder: (component) => this.events.newRecorder({ component }),
      logger: this.logger,
      clock: realClock,
      workQueueMetrics: (name) => (this.metrics ? workQueueMetrics(this.metrics, name) : undefined),
    };
  }

  private startControllers(): void {
    this.logger.info('leading: starting controllers');
    const ctx = this.newContext();
    const running = this.stopping.then(() => this.registry.start(this.enabled, ctx));
    this.term = { ctx, running };
    running.catch((err: unknown) => this.logger.error({ err: (err as Error)?.message ?? String(err) }, 'controllers failed to start'));
  }

  private stopControllers(): void {
    const term = this.term;
    if (!term) return;
    this.term = undefined;
    this.logger.info('not leading: stopping controllers');
    // Stopping the informers first releases controllers still waiting for a cache sync.
    term.ctx.informers.stop();
    this.stopping = term.running.then((running) => running.stop()).catch(() => undefined);
  }
}
