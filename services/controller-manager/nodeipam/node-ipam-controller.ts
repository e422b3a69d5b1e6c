/**
 * The node IPAM controller (Kubernetes' nodeipam controller with the RangeAllocator): every Node
 * without a pod range gets a free /`maskSize` subnet of the cluster range in `spec.podCIDR` and
 * `spec.podCIDRs` (a merge patch). The allocation map lives in memory and is rebuilt from the
 * Nodes' existing podCIDRs before the first allocation, so a new leader after failover never
 * hands out a subnet a Node already holds. A deleted Node's subnet is freed. When the range is
 * exhausted the Node gets a CIDRNotAvailable Event and is retried with backoff (and at once
 * when some Node goes away).
 */
import type { Logger } from 'pino';
import { RESOURCES } from '../../../lib/api/resources';
import { isNotFound } from '../../../lib/api/status';
import type { Node } from '../../../lib/api/types/core';
import type { EventRecorder } from '../../../lib/client/events';
import { objectKey, type SharedInformer } from '../../../lib/client/informer';
import type { Controller, ControllerContext } from '../../../lib/controller/controller-context';
import type { ControllerDescriptor } from '../../../lib/controller/controller-registry';
import { ControllerRunner, type ReconcileResult } from '../../../lib/controller/controller-runner';
import { CidrSet } from './cidr-set';

export const NODE_IPAM_CONTROLLER_NAME = 'nodeipam';
/** The component on the controller's Events (Kubernetes' range allocator's). */
export const NODE_IPAM_COMPONENT = 'cidrAllocator';
/** Event reason when no subnet is free (Kubernetes'). */
export const REASON_CIDR_NOT_AVAILABLE = 'CIDRNotAvailable';
/** The defaults of `--cluster-cidr` and `--node-cidr-mask-size` (Bosun's pod range; a /24 per node). */
export const DEFAULT_CLUSTER_CIDR = '10.42.0.0/16';
export const DEFAULT_NODE_CIDR_MASK_SIZE = 24;

/** The controller's flags. */
export interface NodeIpamOptions {
  readonly clusterCidr: string;
  readonly nodeCidrMaskSize: number;
}

/**
 * The descriptor for `options` (the flags); the range is checked here, so a bad flag is a
 * ConfigError naming it when the controller-manager starts rather than when it first leads.
 */
export function nodeIpamControllerDescriptor(options: Partial<NodeIpamOptions> = {}): ControllerDescriptor {
  const resolved: NodeIpamOptions = {
    clusterCidr: options.clusterCidr ?? DEFAULT_CLUSTER_CIDR,
    nodeCidrMaskSize: options.nodeCidrMaskSize ?? DEFAULT_NODE_CIDR_MASK_SIZE,
  };
  new CidrSet(resolved.clusterCidr, resolved.nodeCidrMaskSize); // validates the flags
  return { name: NODE_IPAM_CONTROLLER_NAME, create: (ctx) => new NodeIpamController(ctx, resolved) };
}

/** The pod ranges a Node holds (podCIDRs, else podCIDR). */
function podCidrsOf(node: Node): string[] {
  const cidrs = node.spec?.podCIDRs?.filter((c) => c !== '') ?? [];
  if (cidrs.length > 0) return cidrs;
  return node.spec?.podCIDR ? [node.spec.podCIDR] : [];
}

export class NodeIpamController implements Controller {
  private readonly nodes: SharedInformer<Node>;
  private readonly runner: ControllerRunner<string>;
  private readonly recorder: EventRecorder;
  private readonly logger: Logger;
  private readonly cidrs: CidrSet;
  /**
   * The subnet this controller believes each Node holds: what the cache shows, or what it
   * patched and the cache has not shown yet (so a second sync before the watch catches up
   * re-sends the same subnet instead of taking another).
   */
  private readonly byNode = new Map<string, string[]>();

  constructor(
    private readonly ctx: ControllerContext,
    options: NodeIpamOptions,
  ) {
    this.cidrs = new CidrSet(options.clusterCidr, options.nodeCidrMaskSize);
    this.nodes = ctx.informers.informer<Node>(RESOURCES.nodes);
    this.recorder = ctx.recorder(NODE_IPAM_COMPONENT);
    this.logger = ctx.logger.child({ controller: NODE_IPAM_CONTROLLER_NAME });
    this.runner = new ControllerRunner({
      name: NODE_IPAM_CONTROLLER_NAME, reconcile: (k) => this.sync(k), clock: ctx.clock,
      logger: this.logger, metrics: ctx.workQueueMetrics?.(NODE_IPAM_CONTROLLER_NAME),
    });
    this.nodes.addEventHandler({
      onAdd: (n) => this.runner.enqueue(objectKey(n)),
      onUpdate: (_o, n) => this.runner.enqueue(objectKey(n)),
      onDelete: (n) => {
        this.runner.enqueue(objectKey(n));
        // A freed subnet may serve a Node that found the range exhausted.
        for (const other of this.nodes.lister.list()) if (podCidrsOf(other).length === 0) this.runner.enqueue(objectKey(other));
      },
    });
  }

  async run(): Promise<void> {
    await this.nodes.waitForSync();
    // Restore the map before the first allocation: no subnet a Node holds is handed out again.
    for (const node of this.nodes.lister.list()) this.remember(node.metadata.name ?? '', podCidrsOf(node));
    this.logger.info({ clusterCidr: this.cidrs.clusterCidr, maskSize: this.cidrs.maskSize, allocated: this.cidrs.allocated, capacity: this.cidrs.capacity }, 'node ipam restored');
    this.runner.start();
  }

  stop(): Promise<void> {
    return this.runner.stop();
  }

  /** How many subnets are taken and how many exist (status API, tests). */
  usage(): { allocated: number; capacity: number } {
    return { allocated: this.cidrs.allocated, capacity: this.cidrs.capacity };
  }

  private async sync(name: string): Promise<ReconcileResult | void> {
    const node = this.nodes.lister.get('', name);
    if (!node || node.metadata.deletionTimestamp) {
      if (!node) this.forget(name);
      return;
    }
    const held = podCidrsOf(node);
    if (held.length > 0) {
      this.remember(name, held);
      return;
    }
    let cidr = this.byNode.get(name)?.[0];
    if (!cidr) {
      const next = this.cidrs.allocateNext();
      if (!next) {
        this.recorder.event(node, 'Normal', REASON_CIDR_NOT_AVAILABLE, `Node ${name} status is now: ${REASON_CIDR_NOT_AVAILABLE}`);
        this.logger.warn({ node: name, clusterCidr: this.cidrs.clusterCidr }, 'no pod CIDR available');
        return { requeue: true };
      }
      cidr = next;
      this.byNode.set(name, [cidr]);
    }
    try {
      await this.ctx.client.resource<Node>(RESOURCES.nodes).patch(undefined, name, 'application/merge-patch+json', JSON.stringify({ spec: { podCIDR: cidr, podCIDRs: [cidr] } }));
      this.logger.info({ node: name, podCIDR: cidr }, 'pod CIDR allocated');
    } catch (err) {
      if (isNotFound(err)) {
        this.forget(name);
        return;
      }
      throw err; // keep the subnet reserved for this Node; the retry sends the same one
    }
  }

  /** Records that `name` holds `cidrs` (freeing what the map had for it before, if different). */
  private remember(name: string, cidrs: string[]): void {
    const before = this.byNode.get(name) ?? [];
    for (const c of before) if (!cidrs.includes(c)) this.cidrs.release(c);
    for (const c of cidrs) {
      if (!this.cidrs.occupy(c)) this.logger.warn({ node: name, podCIDR: c, clusterCidr: this.cidrs.clusterCidr }, 'node pod CIDR outside the cluster CIDR');
    }
    this.byNode.set(name, cidrs);
  }

  private forget(name: string): void {
    for (const c of this.byNode.get(name) ?? []) {
      this.cidrs.release(c);
      this.logger.info({ node: name, podCIDR: c }, 'pod CIDR released');
    }
    this.byNode.delete(name);
  }
}
