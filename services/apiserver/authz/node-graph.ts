/**
 * The Node authorizer's graph (Kubernetes' node graph): which node runs which pod, which objects
 * each bound pod refers to (pod-references.ts), and which PersistentVolume each claim is bound
 * to. Kept incrementally from the apiserver's own watch caches of pods and claims (each change
 * touches only that object's edges), so a decision is a few map lookups, never a list.
 */
import type { PersistentVolumeClaim, Pod } from '../../../lib/api/types/core';
import type { CacheListener } from '../registry/watch-cache';
import { podReferences, type ReferencedResource } from './pod-references';

const key = (namespace: string | undefined, name: string | undefined): string => `${namespace ?? ''}/${name ?? ''}`;

/** A pod's node ('' while unbound) and the edge keys it contributes (bound pods only). */
interface PodVertex {
  readonly node: string;
  readonly edges: readonly string[];
}

/** See the file comment. */
export class NodeGraph {
  private readonly podVertices = new Map<string, PodVertex>();
  /** "resource/namespace/name" → node → number of that node's pods referring to it. */
  private readonly edges = new Map<string, Map<string, number>>();
  /** Claim "namespace/name" → the PersistentVolume it is bound to. */
  private readonly claimVolume = new Map<string, string>();
  /** PersistentVolume → the claims bound to it. */
  private readonly volumeClaims = new Map<string, Set<string>>();

  /** Feed from the pods' watch cache. */
  readonly pods: CacheListener<Pod> = {
    reset: (objects) => {
      for (const k of [...this.podVertices.keys()]) this.removePod(k);
      for (const pod of objects) this.addPod(pod);
    },
    changed: (prev, next) => {
      if (prev) this.removePod(key(prev.metadata.namespace, prev.metadata.name));
      if (next) this.addPod(next);
    },
  };

  /** Feed from the claims' watch cache. */
  readonly claims: CacheListener<PersistentVolumeClaim> = {
    reset: (objects) => {
      for (const k of [...this.claimVolume.keys()]) this.unbindClaim(k);
      for (const claim of objects) this.bindClaim(claim);
    },
    changed: (prev, next) => {
      if (prev) this.unbindClaim(key(prev.metadata.namespace, prev.metadata.name));
      if (next) this.bindClaim(next);
    },
  };

  /** The node the pod namespace/name is bound to ('' while unbound); undefined when the graph does not know the pod. */
  nodeOfPod(namespace: string, name: string): string | undefined {
    return this.podVertices.get(key(namespace, name))?.node;
  }

  /** True when a pod bound to `node` refers to the `resource` namespace/name. */
  refers(node: string, resource: ReferencedResource, namespace: string, name: string): boolean {
    return (this.edges.get(`${resource}/${key(namespace, name)}`)?.get(node) ?? 0) > 0;
  }

  /** True when a claim bound to the PersistentVolume `volume` is used by a pod of `node`. */
  volumeUsedBy(node: string, volume: string): boolean {
    for (const claim of this.volumeClaims.get(volume) ?? []) {
      const slash = claim.indexOf('/');
      if (this.refers(node, 'persistentvolumeclaims', claim.slice(0, slash), claim.slice(slash + 1))) return true;
    }
    return false;
  }

  /** Number of pods in the graph (for tests and metrics). */
  get podCount(): number {
    return this.podVertices.size;
  }

  private addPod(pod: Pod): void {
    const node = pod.spec?.nodeName ?? '';
    const namespace = pod.metadata.namespace;
    // An unbound pod gives no node anything; it is kept so that "unknown" means "not in the cache".
    const edges = node ? podReferences(pod).map((r) => `${r.resource}/${key(namespace, r.name)}`) : [];
    this.podVertices.set(key(namespace, pod.metadata.name), { node, edges });
    for (const e of edges) {
      let byNode = this.edges.get(e);
      if (!byNode) this.edges.set(e, (byNode = new Map()));
      byNode.set(node, (byNode.get(node) ?? 0) + 1);
    }
  }

  private removePod(podKey: string): void {
    const vertex = this.podVertices.get(podKey);
    if (!vertex) return;
    this.podVertices.delete(podKey);
    for (const e of vertex.edges) {
      const byNode = this.edges.get(e);
      if (!byNode) continue;
      const n = (byNode.get(vertex.node) ?? 0) - 1;
      if (n > 0) byNode.set(vertex.node, n);
      else byNode.delete(vertex.node);
      if (byNode.size === 0) this.edges.delete(e);
    }
  }

  private bindClaim(claim: PersistentVolumeClaim): void {
    const volume = claim.spec?.volumeName;
    if (!volume) return;
    const claimKey = key(claim.metadata.namespace, claim.metadata.name);
    this.claimVolume.set(claimKey, volume);
    let claims = this.volumeClaims.get(volume);
    if (!claims) this.volumeClaims.set(volume, (claims = new Set()));
    claims.add(claimKey);
  }

  private unbindClaim(claimKey: string): void {
    const volume = this.claimVolume.get(claimKey);
    if (volume === undefined) return;
    this.claimVolume.delete(claimKey);
    const claims = this.volumeClaims.get(volume);
    claims?.delete(claimKey);
    if (claims?.size === 0) this.volumeClaims.delete(volume);
  }
}
