/**
 * The cluster as the algorithm reads it, kept up to date in place: nodes (in a stable order)
 * with the pods on them, namespace labels, pods nominated to nodes, and the default-spreading
 * selector source. It implements {@link ClusterSnapshot} directly: a scheduling cycle is
 * synchronous, so nothing changes under it and no copy is needed.
 *
 * A pod can name a node the state does not know (yet): it is kept aside and joins the node when
 * the node arrives; when a node goes, its pods are kept aside the same way.
 */
import type { Selector } from '../../../lib/api/label-selector';
import type { Labels } from './api-types';
import type { ClusterSnapshot } from './framework';
import { NodeInfo, type CompiledNode } from './node-info';
import type { PodInfo } from './pod-info';

const NO_PODS: readonly PodInfo[] = Object.freeze([]);

/** Finds the default-spreading selector of a pod (Services, ReplicaSets, StatefulSets). */
export type SpreadSelectorSource = (pod: PodInfo) => Selector | undefined;

export class ClusterState implements ClusterSnapshot {
  private nodeList: NodeInfo[] = [];
  private readonly byName = new Map<string, NodeInfo>();
  /** Pods on nodes the state does not have: node name → pod key → pod. */
  private readonly orphans = new Map<string, Map<string, PodInfo>>();
  private readonly namespaces = new Map<string, Labels>();
  /** node name → pods nominated there. */
  private readonly nominated = new Map<string, PodInfo[]>();
  private withAffinity: NodeInfo[] | undefined;

  constructor(private readonly spreadSelector: SpreadSelectorSource = () => undefined) {}

  get nodes(): readonly NodeInfo[] {
    return this.nodeList;
  }

  node(name: string): NodeInfo | undefined {
    return this.byName.get(name);
  }

  nodesWithAffinityPods(): readonly NodeInfo[] {
    this.withAffinity ??= this.nodeList.filter((n) => n.podsWithAffinity.length > 0);
    return this.withAffinity;
  }

  namespaceLabels(ns: string): Labels | undefined {
    return this.namespaces.get(ns);
  }

  nominatedPods(nodeName: string): readonly PodInfo[] {
    return this.nominated.get(nodeName) ?? NO_PODS;
  }

  defaultSpreadSelector(pod: PodInfo): Selector | undefined {
    return this.spreadSelector(pod);
  }

  /** Adds a node, or replaces its version keeping its pods. */
  upsertNode(compiled: CompiledNode): NodeInfo {
    const existing = this.byName.get(compiled.name);
    if (existing) {
      existing.setNode(compiled);
      return existing;
    }
    const info = new NodeInfo(compiled);
    for (const p of this.orphans.get(compiled.name)?.values() ?? []) info.addPod(p);
    this.orphans.delete(compiled.name);
    this.byName.set(compiled.name, info);
    this.nodeList.push(info);
    this.withAffinity = undefined;
    return info;
  }

  /** Removes a node; its pods are kept aside until it comes back or they go. */
  removeNode(name: string): void {
    const info = this.byName.get(name);
    if (!info) return;
    this.byName.delete(name);
    this.nodeList = this.nodeList.filter((n) => n !== info);
    if (info.pods.length > 0) this.orphans.set(name, new Map(info.pods.map((p) => [p.key, p])));
    this.withAffinity = undefined;
  }

  /** Counts `pod` on its node (pod.nodeName must be set). */
  addPod(pod: PodInfo): void {
    const info = this.byName.get(pod.nodeName);
    if (info) {
      info.addPod(pod);
      if (pod.hasAffinity) this.withAffinity = undefined;
    } else {
      let m = this.orphans.get(pod.nodeName);
      if (!m) this.orphans.set(pod.nodeName, (m = new Map()));
      m.set(pod.key, pod);
    }
  }

  /** Stops counting the pod `key` on node `nodeName`; returns it, if it was there. */
  removePod(key: string, nodeName: string): PodInfo | undefined {
    const info = this.byName.get(nodeName);
    if (info) {
      const p = info.removePod(key);
      if (p?.hasAffinity) this.withAffinity = undefined;
      return p;
    }
    const m = this.orphans.get(nodeName);
    const p = m?.get(key);
    m?.delete(key);
    if (m && m.size === 0) this.orphans.delete(nodeName);
    return p;
  }

  /** Sets (or, with undefined, forgets) the labels of namespace `ns`. */
  setNamespaceLabels(ns: string, labels: Labels | undefined): void {
    if (labels) this.namespaces.set(ns, labels);
    else this.namespaces.delete(ns);
  }

  /** Records that `pod` is nominated to `nodeName` ("" clears its nomination). */
  setNominated(pod: PodInfo, nodeName: string): void {
    this.clearNominated(pod.key);
    if (!nodeName) return;
    let list = this.nominated.get(nodeName);
    if (!list) this.nominated.set(nodeName, (list = []));
    list.push(pod);
  }

  /** Forgets any nomination of the pod `key`. */
  clearNominated(key: string): void {
    for (const [node, list] of this.nominated) {
      const i = list.findIndex((p) => p.key === key);
      if (i < 0) continue;
      list.splice(i, 1);
      if (list.length === 0) this.nominated.delete(node);
      return;
    }
  }

  /** The node a pending pod is nominated to, if any. */
  nominatedNodeOf(key: string): string | undefined {
    for (const [node, list] of this.nominated) if (list.some((p) => p.key === key)) return node;
    return undefined;
  }
}
