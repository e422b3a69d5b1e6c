/**
 * The pod garbage collector (Kubernetes' `podgc`), every 20 s: pods bound to a Node that no
 * longer exists (checked against the API, not only the cache, after the Node has been missing
 * for a quarantine period) and terminating pods that were never scheduled are force-deleted
 * (grace 0) — nobody else would ever complete their deletion.
 */
import type { Logger } from 'pino';
import { RESOURCES } from '../../../lib/api/resources';
import { isNotFound } from '../../../lib/api/status';
import type { Node, Pod } from '../../../lib/api/types/core';
import type { ResourceClient } from '../../../lib/client/api-client';
import type { SharedInformer } from '../../../lib/client/informer';
import { controllerRunner, ControllerRunner, QueueController, type ControllerContext, type ControllerDescriptor, type ReconcileResult } from '../../../lib/controller';

export const POD_GC_CONTROLLER_NAME = 'podgc';
/** How often the collector runs (Kubernetes' gcCheckPeriod). */
export const POD_GC_PERIOD_MS = 20_000;
/** How long a node must be missing before its pods are collected (Kubernetes' quarantineTime). */
export const ORPHAN_QUARANTINE_MS = 40_000;
/** The one key of the collector's queue: each pass looks at every pod. */
const PASS = 'pass';

export const podGcControllerDescriptor: ControllerDescriptor = {
  name: POD_GC_CONTROLLER_NAME,
  create: (ctx) => new PodGcController(ctx),
};

export class PodGcController extends QueueController {
  private readonly pods: SharedInformer<Pod>;
  private readonly nodes: SharedInformer<Node>;
  private readonly podClient: ResourceClient<Pod>;
  private readonly nodeClient: ResourceClient<Node>;
  protected readonly runner: ControllerRunner;
  private readonly logger: Logger;
  /** Node name → when (ms) it was first seen missing while pods named it. */
  private readonly missingSince = new Map<string, number>();

  constructor(private readonly ctx: ControllerContext) {
    super();
    this.pods = ctx.informers.informer<Pod>(RESOURCES.pods);
    this.nodes = ctx.informers.informer<Node>(RESOURCES.nodes);
    this.podClient = ctx.client.resource<Pod>(RESOURCES.pods);
    this.nodeClient = ctx.client.resource<Node>(RESOURCES.nodes);
    this.logger = ctx.logger.child({ controller: POD_GC_CONTROLLER_NAME });
    this.runner = controllerRunner(ctx, POD_GC_CONTROLLER_NAME, () => this.pass());
  }

  override async run(): Promise<void> {
    await super.run();
    this.runner.enqueue(PASS);
  }

  protected synced() {
    return [this.pods, this.nodes];
  }

  private async pass(): Promise<ReconcileResult> {
    const now = this.ctx.clock.now();
    const named = new Set<string>();
    for (const pod of this.pods.lister.list()) {
      const nodeName = pod.spec?.nodeName;
      if (!nodeName) {
        if (pod.metadata.deletionTimestamp) await this.forceDelete(pod, 'terminating and never scheduled');
        continue;
      }
      if (this.nodes.lister.get('', nodeName)) continue;
      named.add(nodeName);
      const since = this.missingSince.get(nodeName) ?? now;
      this.missingSince.set(nodeName, since);
      if (now - since < ORPHAN_QUARANTINE_MS) continue;
      if (await this.nodeExists(nodeName)) continue;
      await this.forceDelete(pod, `its node ${nodeName} is gone`);
    }
    for (const name of [...this.missingSince.keys()]) if (!named.has(name)) this.missingSince.delete(name);
    return { requeueAfterMs: POD_GC_PERIOD_MS };
  }

  /** The cache may lag a Node just created: ask the API before collecting its pods. */
  private async nodeExists(name: string): Promise<boolean> {
    try {
      await this.nodeClient.get(undefined, name);
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  private async forceDelete(pod: Pod, why: string): Promise<void> {
    try {
      await this.podClient.delete(pod.metadata.namespace, pod.metadata.name!, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } });
      this.logger.info({ pod: `${pod.metadata.namespace}/${pod.metadata.name}` }, `collected a pod: ${why}`);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
