/**
 * The scheduler's part of WaitForFirstConsumer volume binding (Kubernetes' VolumeBinding
 * PreBind, reduced): before a pod is bound to a node, each of its claims that is still unbound
 * and whose StorageClass binds on first consumer gets the `volume.kubernetes.io/selected-node`
 * annotation naming that node; the PV controller and the class's provisioner take it from there
 * (the pod waits in ContainerCreating until its claims are bound). Such a pod is schedulable like
 * any other: unbound WaitForFirstConsumer claims never filter nodes out.
 *
 * Only pods with claim volumes cost anything: the claim and its class are read from the API.
 */
import { isNotFound } from '../../lib/api/status';
import type { PersistentVolumeClaim } from '../../lib/api/types/core';
import { SELECTED_NODE_ANNOTATION, type StorageClass } from '../../lib/api/types/storage';
import type { ResourceClient } from '../../lib/client/api-client';

const MERGE_PATCH = 'application/merge-patch+json';

/** What the annotator reads of a pod: its namespace and its volumes' claim names. */
export interface PodVolumes {
  readonly metadata: { readonly namespace?: string };
  readonly spec?: object;
}

/** Annotates a pod's unbound WaitForFirstConsumer claims with the node chosen for the pod. */
export class SelectedNodeAnnotator {
  constructor(
    private readonly claims: ResourceClient<PersistentVolumeClaim>,
    private readonly classes: ResourceClient<StorageClass>,
  ) {}

  /**
   * Annotates every claim of `pod` that needs it with `nodeName`. A claim or class that does not
   * exist is skipped (the node agent reports the missing claim); other API errors are thrown,
   * so the bind is retried.
   */
  async annotate(pod: PodVolumes, nodeName: string): Promise<void> {
    const namespace = pod.metadata.namespace ?? 'default';
    for (const claimName of claimNamesOf(pod)) {
      const claim = await this.getOrUndefined(this.claims, namespace, claimName);
      if (!claim || !(await this.needsSelectedNode(claim, nodeName))) continue;
      const patch = { metadata: { uid: claim.metadata.uid, annotations: { [SELECTED_NODE_ANNOTATION]: nodeName } } };
      await this.claims.patch(namespace, claimName, MERGE_PATCH, JSON.stringify(patch));
    }
  }

  private async needsSelectedNode(claim: PersistentVolumeClaim, nodeName: string): Promise<boolean> {
    if (claim.spec?.volumeName || claim.metadata.deletionTimestamp) return false;
    if (claim.metadata.annotations?.[SELECTED_NODE_ANNOTATION] === nodeName) return false;
    const className = claim.spec?.storageClassName;
    if (!className) return false;
    const cls = await this.getOrUndefined(this.classes, undefined, className);
    return cls?.volumeBindingMode === 'WaitForFirstConsumer';
  }

  private async getOrUndefined<T extends PersistentVolumeClaim | StorageClass>(client: ResourceClient<T>, namespace: string | undefined, name: string): Promise<T | undefined> {
    try {
      return await client.get(namespace, name);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }
}

/** The claim names of a pod's persistentVolumeClaim volumes (the scheduler's pod type leaves volumes untyped). */
function claimNamesOf(pod: PodVolumes): string[] {
  const volumes = (pod.spec as { volumes?: unknown } | undefined)?.volumes;
  if (!Array.isArray(volumes)) return [];
  return volumes.flatMap((v: { persistentVolumeClaim?: { claimName?: unknown } } | null) => {
    const name = v?.persistentVolumeClaim?.claimName;
    return typeof name === 'string' && name !== '' ? [name] : [];
  });
}
