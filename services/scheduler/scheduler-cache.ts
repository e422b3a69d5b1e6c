/**
 * The scheduler's cache (kube-scheduler's internal/cache): the cluster state the algorithm
 * reads, fed by the informers, plus assumed pods. A pod decided for a node is *assumed* there at
 * once — it counts against the node before its binding completes, so the next decisions never
 * oversubscribe the node. When the binding fails the pod is *forgotten*; when the informer
 * delivers the bound pod, the assumed copy is replaced by it (confirmed), wherever it landed.
 */
import type { Node } from './algorithm/api-types';
import { ClusterState, type SpreadSelectorSource } from './algorithm/cluster-state';
import { compileNode } from './algorithm/node-info';
import type { PodInfo } from './algorithm/pod-info';

/** Where a pod the cache counts sits, and whether it is only assumed there. */
interface Placement {
  readonly info: PodInfo;
  readonly assumed: boolean;
}

export class SchedulerCache {
  readonly state: ClusterState;
  private readonly placements = new Map<string, Placement>();

  constructor(spreadSelector?: SpreadSelectorSource) {
    this.state = new ClusterState(spreadSelector);
  }

  /** Adds or updates a node; throws MalformedObjectError (the caller then removes it). */
  upsertNode(node: Node): void {
    this.state.upsertNode(compileNode(node));
  }

  removeNode(name: string): void {
    this.state.removeNode(name);
  }

  /** A bound pod from the API (new, updated, or confirming an assumed one). */
  addBoundPod(info: PodInfo): void {
    this.remove(info.key);
    this.state.addPod(info);
    this.placements.set(info.key, { info, assumed: false });
  }

  /** Stops counting the pod `key` (deleted, finished, or forgotten); true when it was counted. */
  remove(key: string): boolean {
    const p = this.placements.get(key);
    if (!p) return false;
    this.state.removePod(key, p.info.nodeName);
    this.placements.delete(key);
    return true;
  }

  /** Counts `info` on `nodeName` while its binding is in flight. */
  assume(info: PodInfo, nodeName: string): void {
    this.remove(info.key);
    const assumed = info.assumedOn(nodeName);
    this.state.addPod(assumed);
    this.placements.set(info.key, { info: assumed, assumed: true });
  }

  /** The binding of an assumed pod failed: it no longer counts. No-op unless assumed. */
  forget(key: string): void {
    if (this.placements.get(key)?.assumed) this.remove(key);
  }

  isAssumed(key: string): boolean {
    return this.placements.get(key)?.assumed === true;
  }

  /** Whether the pod `key` counts on a node (bound or assumed). */
  has(key: string): boolean {
    return this.placements.has(key);
  }

  /** Counts for status output. */
  counts(): { nodes: number; pods: number; assumed: number } {
    let assumed = 0;
    for (const p of this.placements.values()) if (p.assumed) assumed++;
    return { nodes: this.state.nodes.length, pods: this.placements.size, assumed };
  }
}
