/**
 * One node's agent: registers the node and keeps its lease and conditions (NodeRegistrar), and
 * runs the pods bound to it — one worker per pod (PodWorkers → PodSyncer), woken by the pod
 * informer, by the runtime's container events, by a relist of the runtime every
 * {@link RELIST_INTERVAL_MS} that notices any change of a pod's containers (the kubelet's PLEG),
 * by probe results, and by the workers' own back-off timers. On start it adopts what the runtime
 * already runs: containers are found by their pod-uid labels and kept as they are, and runtime
 * pods no longer in the API are torn down once the informer has synced. All collaborators are
 * injected, so one process can run many agents (--nodes) and tests can run one on fakes.
 */
import { EVENT_TYPE_WARNING } from '../../lib/api/core-event';
import { RESOURCES } from '../../lib/api/resources';
import type { Node, Pod } from '../../lib/api/types';
import type { ApiClient } from '../../lib/client/api-client';
import type { Clock, Timer } from '../../lib/client/clock';
import type { EventRecorder } from '../../lib/client/events';
import type { SharedInformer } from '../../lib/client/informer';
import type { Logger } from '../../lib/logger';
import type { NodeConfig } from './node/node-config';
import { NodeRegistrar } from './node/node-registrar';
import type { PodSetup } from './pod-setup/pod-setup';
import { CrashBackoff } from './pods/crash-backoff';
import { containerRef } from './pods/pod-sync-context';
import { PodSyncer } from './pods/pod-sync';
import { PodWorkers } from './pods/pod-workers';
import { StatusManager } from './pods/status-manager';
import { ProbeManager } from './probes/probe-manager';
import { LABEL_POD_UID, type ContainerStatus, type PodSandboxStatus, type Runtime } from './runtime/runtime';

/** How often the runtime is relisted for changes, ms (the kubelet's PLEG period). */
export const RELIST_INTERVAL_MS = 1_000;

/** Constructor parameters of a {@link NodeAgent}. */
export interface NodeAgentOptions {
  readonly config: NodeConfig;
  readonly client: ApiClient;
  readonly runtime: Runtime;
  readonly setup: PodSetup;
  /** Pods, at least those bound to this node (others are ignored); the caller runs it. */
  readonly pods: SharedInformer<Pod>;
  /** Nodes, at least this one (for spec.podCIDR); the caller runs it. */
  readonly nodes?: SharedInformer<Node>;
  readonly events: EventRecorder;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Called with each pod's start duration (seconds). */
  readonly onPodStarted?: (seconds: number) => void;
  /**
   * The caller routes informer events to handlePod/handleNode itself (one process running many
   * nodes dispatches by node name once, instead of every agent seeing every event).
   */
  readonly externalEvents?: boolean;
}

/** What the runtime held at the last relist. */
export interface RuntimeSnapshot {
  sandboxes: PodSandboxStatus[];
  containers: ContainerStatus[];
}

export class NodeAgent {
  readonly registrar: NodeRegistrar;
  readonly workers: PodWorkers;
  readonly probes: ProbeManager;
  private readonly syncer: PodSyncer;
  /** namespace/name of each pod uid seen bound to this node. */
  private readonly podKeys = new Map<string, { namespace: string; name: string }>();
  private signatures = new Map<string, string>();
  private relistTimer: Timer | undefined;
  private relisting = false;
  private unsubscribe: (() => void) | undefined;
  private stopped = false;
  private synced = false;
  /** The runtime as of the last relist. */
  snapshot: RuntimeSnapshot = { sandboxes: [], containers: [] };

  constructor(private readonly opts: NodeAgentOptions) {
    const { config, runtime, clock, logger } = opts;
    this.registrar = new NodeRegistrar(config, opts.client, runtime, clock, logger);
    this.probes = new ProbeManager(runtime, clock, {
      onChange: (uid) => this.workers.update(uid),
      onFailedAttempt: (pod, container, kind, message) =>
        opts.events.event(containerRef(pod, container), EVENT_TYPE_WARNING, 'Unhealthy', `${kind[0]!.toUpperCase()}${kind.slice(1)} probe failed: ${message}`),
    });
    const deps = { runtime, setup: opts.setup, probes: this.probes, backoff: new CrashBackoff(clock), events: opts.events, clock, logger, hostIP: config.address, onPodStarted: opts.onPodStarted };
    this.syncer = new PodSyncer(deps, opts.client.resource<Pod>(RESOURCES.pods), new StatusManager(opts.client.resource<Pod>(RESOURCES.pods)));
    this.workers = new PodWorkers((state) => this.syncer.sync(this.podOf(state.uid), state), clock, logger);
  }

  get nodeName(): string {
    return this.opts.config.nodeName;
  }

  /**
   * Starts: registers the node (in the background, retrying), follows the pod and node
   * informers, and relists the runtime. Resolves once the pod informer has synced and the first
   * relist adopted what the runtime runs.
   */
  async start(): Promise<void> {
    const { pods, nodes } = this.opts;
    void this.registrar.start();
    if (!this.opts.externalEvents) {
      nodes?.addEventHandler({
        onAdd: (n) => this.handleNode(n),
        onUpdate: (_o, n) => this.handleNode(n),
      });
      pods.addEventHandler({
        onAdd: (p) => this.handlePod(p),
        onUpdate: (_o, p) => this.handlePod(p),
        onDelete: (p) => this.handlePod(p),
      });
    }
    this.unsubscribe = this.opts.runtime.onContainerEvent(() => this.scheduleRelist(0));
    await pods.waitForSync();
    this.synced = true;
    await this.relist();
  }

  /** Stops syncing (containers keep running: a restarted agent adopts them). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.registrar.stop();
    this.relistTimer?.cancel();
    this.unsubscribe?.();
    this.workers.stop();
    this.probes.stop();
  }

  /** The latest cached pod with this uid, bound here; undefined when gone. */
  podOf(uid: string): Pod | undefined {
    const key = this.podKeys.get(uid);
    if (!key) return undefined;
    const pod = this.opts.pods.lister.get(key.namespace, key.name);
    return pod && pod.metadata.uid === uid && pod.spec?.nodeName === this.nodeName ? pod : undefined;
  }

  /** The pods bound here as the informer has them. */
  boundPods(): Pod[] {
    return [...this.podKeys.keys()].flatMap((uid) => {
      const p = this.podOf(uid);
      return p ? [p] : [];
    });
  }

  /** A Node was added or changed (only this node's name matters). */
  handleNode(node: Node): void {
    if (node.metadata.name === this.nodeName) void this.registrar.onNode(node);
  }

  /** A pod was added, changed or deleted (only pods bound to this node matter). */
  handlePod(pod: Pod): void {
    if (this.stopped || pod.spec?.nodeName !== this.nodeName || !pod.metadata.uid) return;
    this.podKeys.set(pod.metadata.uid, { namespace: pod.metadata.namespace ?? '', name: pod.metadata.name ?? '' });
    this.workers.update(pod.metadata.uid);
  }

  private scheduleRelist(ms: number): void {
    if (this.stopped) return;
    this.relistTimer?.cancel();
    this.relistTimer = this.opts.clock.setTimer(ms, () => void this.relist());
  }

  /** Lists the runtime; wakes the worker of every pod whose sandboxes or containers changed, and of runtime pods with no worker. */
  private async relist(): Promise<void> {
    if (this.relisting || this.stopped) return;
    this.relisting = true;
    try {
      const [sandboxes, containers] = await Promise.all([this.opts.runtime.listPodSandboxes(), this.opts.runtime.listContainers()]);
      this.snapshot = { sandboxes, containers };
      const next = new Map<string, string>();
      const add = (uid: string | undefined, part: string) => {
        if (uid) next.set(uid, `${next.get(uid) ?? ''}${part};`);
      };
      for (const s of sandboxes) add(s.labels[LABEL_POD_UID], `${s.id}:${s.state}`);
      for (const c of containers) add(c.labels[LABEL_POD_UID], `${c.id}:${c.state}`);
      for (const [uid, sig] of next) if (this.signatures.get(uid) !== sig) this.workers.update(uid);
      for (const uid of this.signatures.keys()) if (!next.has(uid) && this.podOf(uid)) this.workers.update(uid);
      if (this.synced) for (const uid of next.keys()) if (!this.podKeys.has(uid)) this.workers.update(uid);
      this.signatures = next;
    } catch (err) {
      this.opts.logger.warn({ err: (err as Error).message }, 'runtime relist failed');
    } finally {
      this.relisting = false;
      this.scheduleRelist(RELIST_INTERVAL_MS);
    }
  }
}
