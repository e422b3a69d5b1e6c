/**
 * The garbage collector's writes, each guarded so that it acts only on the object it looked at:
 * deletes carry uid (and resourceVersion) preconditions, patches carry metadata.uid and
 * metadata.resourceVersion (a compare-and-swap), and a NotFound is reported, never retried.
 */
import type { PropagationPolicy } from '../../../lib/api/deletion-propagation';
import { ConflictError } from '../../../lib/api/errors';
import type { KubeObject, OwnerReference, ResourceInfo } from '../../../lib/api/object';
import { isConflict, isNotFound } from '../../../lib/api/status';
import type { ApiClient } from '../../../lib/client/api-client';
import type { ObjectIdentity } from './identity';

/** Content type of the patches the collector sends. */
const MERGE_PATCH = 'application/merge-patch+json';
/** Tries of a finalizer removal that keeps losing compare-and-swaps before it gives up (and is requeued). */
export const FINALIZER_REMOVAL_ATTEMPTS = 5;

/** Live reads and guarded writes through the API. */
export class GcOperations {
  constructor(private readonly client: ApiClient) {}

  /** The object at `id`'s coordinates now (it may have another uid); NotFound is thrown. */
  get(info: ResourceInfo, namespace: string, name: string): Promise<KubeObject> {
    return this.client.resource(info).get(info.namespaced ? namespace : undefined, name);
  }

  /**
   * Deletes `id` with `policy`, if it still has the uid and — when `resourceVersion` is given —
   * that version. When only the version moved and the ownerReferences are still those the decision
   * was made on, the delete is retried with the uid precondition alone (Kubernetes' deleteObject).
   */
  async delete(info: ResourceInfo, id: ObjectIdentity, resourceVersion: string | undefined, ownersAtVersion: unknown, policy: PropagationPolicy): Promise<void> {
    const client = this.client.resource(info);
    const ns = info.namespaced ? id.namespace : undefined;
    try {
      await client.delete(ns, id.name, { propagationPolicy: policy, preconditions: { uid: id.uid, ...(resourceVersion ? { resourceVersion } : {}) } });
      return;
    } catch (err) {
      if (!isConflict(err) || !resourceVersion) throw err;
    }
    const live = await client.get(ns, id.name);
    if (live.metadata.uid !== id.uid || live.metadata.resourceVersion === resourceVersion || JSON.stringify(live.metadata.ownerReferences ?? []) !== JSON.stringify(ownersAtVersion ?? [])) {
      throw new ConflictError(info.resource, info.group, id.name, 'the object changed since the garbage collector examined it; looking again');
    }
    await client.delete(ns, id.name, { propagationPolicy: policy, preconditions: { uid: id.uid } });
  }

  /** Removes from `latest` (as read) the ownerReferences to `ownerUids`; a compare-and-swap on its resourceVersion. */
  async removeOwnerReferences(info: ResourceInfo, latest: KubeObject, ownerUids: ReadonlySet<string>): Promise<void> {
    const refs = rawReferences(latest);
    const kept = refs.filter((r) => !(typeof r === 'object' && r !== null && ownerUids.has((r as OwnerReference).uid)));
    if (kept.length === refs.length) return;
    await this.patchMeta(info, latest, { ownerReferences: kept.length > 0 ? kept : null });
  }

  /** Sets blockOwnerDeletion false on every reference of `latest` that blocks; a compare-and-swap. */
  async unblockOwnerReferences(info: ResourceInfo, latest: KubeObject): Promise<void> {
    const refs = rawReferences(latest);
    if (!refs.some((r) => (r as OwnerReference | null)?.blockOwnerDeletion === true)) return;
    const unblocked = refs.map((r) => ((r as OwnerReference | null)?.blockOwnerDeletion === true ? { ...(r as OwnerReference), blockOwnerDeletion: false } : r));
    await this.patchMeta(info, latest, { ownerReferences: unblocked });
  }

  /**
   * Removes `finalizer` from the live object `id` (nothing when it is gone, has another uid or no
   * such finalizer); retries lost compare-and-swaps a few times, then throws.
   */
  async removeFinalizer(info: ResourceInfo, id: ObjectIdentity, finalizer: string): Promise<void> {
    let lastErr: unknown;
    for (let attempt = 0; attempt < FINALIZER_REMOVAL_ATTEMPTS; attempt++) {
      let live: KubeObject;
      try {
        live = await this.get(info, id.namespace, id.name);
      } catch (err) {
        if (isNotFound(err)) return;
        throw err;
      }
      if (live.metadata.uid !== id.uid) return;
      const finalizers = live.metadata.finalizers ?? [];
      if (!finalizers.includes(finalizer)) return;
      const rest = finalizers.filter((f) => f !== finalizer);
      try {
        await this.patchMeta(info, live, { finalizers: rest.length > 0 ? rest : null });
        return;
      } catch (err) {
        if (isNotFound(err)) return;
        if (!isConflict(err)) throw err;
        lastErr = err;
      }
    }
    throw lastErr;
  }

  private async patchMeta(info: ResourceInfo, latest: KubeObject, fields: Record<string, unknown>): Promise<void> {
    const { name, namespace, uid, resourceVersion } = latest.metadata;
    const patch = { metadata: { uid, resourceVersion, ...fields } };
    await this.client.resource(info).patch(info.namespaced ? namespace : undefined, name ?? '', MERGE_PATCH, JSON.stringify(patch));
  }
}

/** metadata.ownerReferences as stored (malformed entries included: a patch keeps what it does not mean to change). */
function rawReferences(obj: KubeObject): unknown[] {
  const refs = obj.metadata.ownerReferences as unknown;
  return Array.isArray(refs) ? refs : [];
}
