/**
 * The node's side of the cluster: registers the Node (creating it, or taking over an existing one
 * with the same name and refreshing its labels and facts), renews its Lease in kube-node-lease
 * every {@link LEASE_RENEW_INTERVAL_MS}, and keeps the node's conditions current — written when
 * they change, when the Node in the API no longer shows them (the node lifecycle controller set
 * them Unknown after a late heartbeat: the next heartbeat puts them back, as the kubelet's status
 * loop does), and at least every {@link NODE_STATUS_REPORT_INTERVAL_MS}. It also follows the
 * Node's spec.podCIDR into the runtime. Failed writes are tried again on the next tick; nothing
 * here throws to its caller after start().
 */
import { RESOURCES } from '../../../lib/api/resources';
import { isAlreadyExists, isNotFound } from '../../../lib/api/status';
import type { Node } from '../../../lib/api/types';
import type { KubeObject, OwnerReference } from '../../../lib/api/object';
import type { ApiClient, ResourceClient } from '../../../lib/client/api-client';
import type { Clock, Timer } from '../../../lib/client/clock';
import type { Logger } from '../../../lib/logger';
import type { Runtime, RuntimeStatus } from '../runtime/runtime';
import { writeStatus } from '../../../lib/controller/status-writer';
import { rfc3339 } from '../time-format';
import type { NodeConfig } from './node-config';
import { conditionsChanged, newNode, nodeConditions, nodeLabels, nodeStatusFacts, withTimes, type NodeCondition } from './node-status';

/** The kubelet's lease renewal interval (a quarter of the 40 s lease duration). */
export const LEASE_RENEW_INTERVAL_MS = 10_000;
/** The node lease's duration (kubelet's nodeLeaseDurationSeconds). */
export const NODE_LEASE_DURATION_SECONDS = 40;
/** The namespace of node leases. */
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
/** How often unchanged node status is written anyway (the kubelet's nodeStatusReportFrequency). */
export const NODE_STATUS_REPORT_INTERVAL_MS = 5 * 60_000;
/** Pause before retrying a failed registration, ms. */
const REGISTER_RETRY_MS = 1_000;

/** What the registrar did last (for the status API). */
export interface RegistrationState {
  registered: boolean;
  ready: boolean;
  podCIDR: string;
  runtimeStatus?: RuntimeStatus;
}

export class NodeRegistrar {
  private readonly nodes: ResourceClient<Node>;
  private readonly leases: ResourceClient<KubeObject>;
  private timer: Timer | undefined;
  private stopped = false;
  private lastReportMs = 0;
  private lastConditions: NodeCondition[] | undefined;
  /**
   * Set when the Node in the API no longer shows the conditions the agent last wrote (the node
   * lifecycle controller set them Unknown while the agent was paused or cut off): the next
   * heartbeat writes them again, as the kubelet compares with the server's copy, not its own.
   */
  private conditionsStaleInApi = false;
  /** The lease as last written (renewals update it directly). */
  private lease: KubeObject | undefined;
  private runtimeVersion = { runtimeName: '', runtimeVersion: '' };
  readonly state: RegistrationState = { registered: false, ready: false, podCIDR: '' };

  constructor(
    private readonly config: NodeConfig,
    client: ApiClient,
    private readonly runtime: Runtime,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.nodes = client.resource<Node>(RESOURCES.nodes);
    this.leases = client.resource(RESOURCES.leases);
  }

  /** Registers the node (retrying until it is registered or stopped), then starts the lease and status loop. */
  async start(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.register();
        break;
      } catch (err) {
        this.logger.warn({ err: (err as Error).message }, 'node registration failed; retrying');
        await new Promise<void>((resolve) => this.clock.setTimer(REGISTER_RETRY_MS, resolve));
      }
    }
    if (!this.stopped) await this.tick();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
  }

  /**
   * The Node changed (from the agent's node informer): notes whether its conditions still are
   * the ones this agent wrote, and hands a new podCIDR to the runtime.
   */
  async onNode(node: Node): Promise<void> {
    const inApi = node.status?.conditions as NodeCondition[] | undefined;
    if (this.lastConditions && inApi && conditionsChanged(inApi, this.lastConditions)) this.conditionsStaleInApi = true;
    const cidr = node.spec?.podCIDR ?? node.spec?.podCIDRs?.[0] ?? '';
    if (!cidr || cidr === this.state.podCIDR) return;
    try {
      await this.runtime.updateRuntimeConfig({ podCIDR: cidr });
      this.state.podCIDR = cidr;
      this.logger.info({ podCIDR: cidr }, 'pod CIDR given to the runtime');
    } catch (err) {
      this.logger.error({ err: (err as Error).message, podCIDR: cidr }, 'runtime refused the pod CIDR');
      return;
    }
    // The pod network is what a new node waited for to be Ready: say so now, not at the next
    // heartbeat (the kubelet likewise reports a changed runtime status at once).
    if (this.state.registered && !this.stopped) {
      await this.reportStatus().catch((err: Error) => this.logger.warn({ err: err.message }, 'node status write failed; the next heartbeat tries again'));
    }
  }

  private async register(): Promise<void> {
    this.runtimeVersion = await this.runtime.version();
    const now = this.nowString();
    const conditions = withTimes(await this.conditions(), undefined, now);
    const status = { ...nodeStatusFacts(this.config, this.runtimeVersion), conditions };
    try {
      const created = await this.nodes.create(undefined, newNode(this.config, status));
      // The node IPAM controller may give the new Node its podCIDR first: re-read and write again.
      await writeStatus(this.nodes, created, status);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      const existing = await this.nodes.get(undefined, this.config.nodeName);
      const updated = await this.nodes.update(undefined, { ...existing, metadata: { ...existing.metadata, labels: { ...(existing.metadata.labels ?? {}), ...nodeLabels(this.config) } } });
      const old = (updated.status?.conditions as NodeCondition[] | undefined) ?? undefined;
      await this.nodes.updateStatus(undefined, { ...updated, status: { ...(updated.status ?? {}), ...status, conditions: withTimes(conditions, old, now) } });
      await this.onNode(updated);
    }
    this.lastConditions = conditions;
    this.lastReportMs = this.clock.now();
    this.state.registered = true;
    this.logger.info('node registered');
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    await Promise.all([this.renewLease(), this.reportStatus()]).catch((err: Error) => this.logger.warn({ err: err.message }, 'node heartbeat failed'));
    if (!this.stopped) this.timer = this.clock.setTimer(LEASE_RENEW_INTERVAL_MS, () => void this.tick());
  }

  private async conditions(): Promise<NodeCondition[]> {
    try {
      const status = await this.runtime.status();
      this.state.runtimeStatus = status;
      return nodeConditions(status);
    } catch (err) {
      this.state.runtimeStatus = undefined;
      return nodeConditions(undefined, (err as Error).message);
    }
  }

  /** Writes the conditions when they changed (here or, by another writer, in the API), or when the last report is NODE_STATUS_REPORT_INTERVAL_MS old. */
  private async reportStatus(): Promise<void> {
    const next = await this.conditions();
    this.state.ready = next.find((c) => c.type === 'Ready')?.status === 'True';
    const due = this.clock.now() - this.lastReportMs >= NODE_STATUS_REPORT_INTERVAL_MS;
    if (!due && !this.conditionsStaleInApi && !conditionsChanged(this.lastConditions, next)) return;
    this.conditionsStaleInApi = false;
    const node = await this.nodes.get(undefined, this.config.nodeName);
    const old = (node.status?.conditions as NodeCondition[] | undefined) ?? undefined;
    const status = { ...(node.status ?? {}), ...nodeStatusFacts(this.config, this.runtimeVersion), conditions: withTimes(next, old, this.nowString()) };
    await this.nodes.updateStatus(undefined, { ...node, status });
    this.lastConditions = next;
    this.lastReportMs = this.clock.now();
  }

  /** Renews the lease: an update of the last written copy (one call), falling back to get / create when it changed or is missing. */
  private async renewLease(): Promise<void> {
    const name = this.config.nodeName;
    const renewTime = new Date(this.clock.now()).toISOString().replace('Z', '000Z');
    const renewed = (lease: KubeObject): KubeObject => ({ ...lease, spec: { ...(lease.spec ?? {}), holderIdentity: name, leaseDurationSeconds: NODE_LEASE_DURATION_SECONDS, renewTime } });
    if (this.lease) {
      try {
        this.lease = await this.leases.update(NODE_LEASE_NAMESPACE, renewed(this.lease));
        return;
      } catch {
        this.lease = undefined;
      }
    }
    try {
      this.lease = await this.leases.update(NODE_LEASE_NAMESPACE, renewed(await this.leases.get(NODE_LEASE_NAMESPACE, name)));
    } catch (err) {
      if (!isNotFound(err)) throw err;
      this.lease = await this.leases.create(NODE_LEASE_NAMESPACE, {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name, namespace: NODE_LEASE_NAMESPACE, ownerReferences: await this.nodeOwner() },
        spec: { holderIdentity: name, leaseDurationSeconds: NODE_LEASE_DURATION_SECONDS, renewTime },
      });
    }
  }

  /** The Node as the lease's owner (so the lease goes with the Node), when it can be read. */
  private async nodeOwner(): Promise<OwnerReference[] | undefined> {
    const node = await this.nodes.get(undefined, this.config.nodeName).catch(() => undefined);
    return node?.metadata.uid ? [{ apiVersion: 'v1', kind: 'Node', name: this.config.nodeName, uid: node.metadata.uid }] : undefined;
  }

  private nowString(): string {
    return rfc3339(this.clock.now());
  }
}
