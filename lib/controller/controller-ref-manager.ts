/**
 * Adoption and release of children (Kubernetes' ControllerRefManager / ClaimObject): given an
 * owner, its label selector and the candidate children from the cache, decide which children
 * the owner manages, adopting matching orphans and releasing children whose labels stopped
 * matching.
 *
 * Rules, for each candidate:
 * - controlled by another owner (controllerRef uid differs): left alone;
 * - controlled by this owner: claimed while its labels match; when they stop matching it is
 *   released (our ownerReference removed) — unless the owner is being deleted, then left alone;
 * - an orphan (no controllerRef): adopted when its labels match, it is in the owner's namespace,
 *   and neither it nor the owner is being deleted. Before the first adoption of a claim the owner
 *   is read again from the API (not the cache): a different uid or a deletionTimestamp refuses
 *   every adoption of this claim (Kubernetes' RecheckDeletionTimestamp), so a deleted owner
 *   never takes children.
 * - Adopt and release are merge patches of ownerReferences that carry the child's uid (the
 *   apiserver refuses them with 409 if the name now belongs to another object) and its
 *   resourceVersion (409 if the child changed meanwhile: the caller's reconcile throws and
 *   retries on a fresher cache). A child already gone (404) is simply not claimed.
 *
 * `claim` returns the claimed children; when any patch failed otherwise it throws after
 * handling every candidate (an AggregateError of the failures), so one bad child does not
 * stop the rest.
 */
import type { Selector } from '../api/label-selector';
import type { KubeObject, ResourceInfo } from '../api/object';
import { MERGE_PATCH_TYPE } from '../api/patch';
import { isNotFound } from '../api/status';
import type { ResourceClient } from '../client/api-client';
import { getControllerOf, newControllerRef } from './controller-ref';

/** Constructor parameters of a {@link ControllerRefManager}. */
export interface ControllerRefManagerOptions<O extends KubeObject, C extends KubeObject> {
  /** The owner as cached. */
  readonly owner: O;
  readonly ownerInfo: ResourceInfo;
  /** Which children the owner wants (its spec.selector). */
  readonly selector: Selector;
  /** Where adopt and release patches go. */
  readonly children: ResourceClient<C>;
  /** A fresh read of the owner from the API (undefined when it is gone); called at most once per claim. */
  readonly getOwnerFresh: () => Promise<O | undefined>;
}

/** Claims children for one owner. See the file comment for the rules. */
export class ControllerRefManager<O extends KubeObject, C extends KubeObject> {
  private adoptionCheck?: Promise<void>;

  constructor(private readonly options: ControllerRefManagerOptions<O, C>) {}

  /** The candidates this owner manages, after adopting and releasing as the rules say. */
  async claim(candidates: readonly C[]): Promise<C[]> {
    const claimed: C[] = [];
    const errors: unknown[] = [];
    for (const child of candidates) {
      try {
        const mine = await this.claimOne(child);
        if (mine) claimed.push(mine);
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `claiming children of ${this.describeOwner()}: ${errors.length} failures`);
    return claimed;
  }

  /** The child as claimed (possibly the adopted copy), or undefined when not ours. */
  private async claimOne(child: C): Promise<C | undefined> {
    const { owner, selector } = this.options;
    const ownerDeleting = !!owner.metadata.deletionTimestamp;
    const matches = selector.matches(child.metadata.labels ?? {});
    const ref = getControllerOf(child);
    if (ref) {
      if (ref.uid !== owner.metadata.uid) return undefined;
      if (matches) return child;
      if (!ownerDeleting) await this.release(child);
      return undefined;
    }
    if (ownerDeleting || !matches || child.metadata.deletionTimestamp) return undefined;
    if ((child.metadata.namespace ?? '') !== (owner.metadata.namespace ?? '') && this.options.ownerInfo.namespaced) return undefined;
    return this.adopt(child);
  }

  /** Adds our controllerRef to an orphan; undefined when the child is gone. */
  private async adopt(child: C): Promise<C | undefined> {
    await (this.adoptionCheck ??= this.checkOwnerMayAdopt());
    const refs = [...(child.metadata.ownerReferences ?? []), newControllerRef(this.options.owner, this.options.ownerInfo)];
    return this.patchOwnerRefs(child, refs);
  }

  /** Removes our ownerReference from a child. */
  private async release(child: C): Promise<void> {
    const uid = this.options.owner.metadata.uid;
    await this.patchOwnerRefs(child, (child.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid));
  }

  private async patchOwnerRefs(child: C, ownerReferences: KubeObject['metadata']['ownerReferences']): Promise<C | undefined> {
    const { uid, resourceVersion, namespace, name } = child.metadata;
    const patch = { metadata: { ownerReferences: ownerReferences && ownerReferences.length > 0 ? ownerReferences : null, uid, resourceVersion } };
    try {
      return await this.options.children.patch(namespace, name ?? '', MERGE_PATCH_TYPE, JSON.stringify(patch));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Throws unless the owner, read fresh, is the same incarnation and not being deleted. */
  private async checkOwnerMayAdopt(): Promise<void> {
    const fresh = await this.options.getOwnerFresh();
    const want = this.options.owner.metadata.uid;
    if (!fresh || fresh.metadata.uid !== want) {
      throw new Error(`${this.describeOwner()} is gone: got uid ${fresh?.metadata.uid ?? '<none>'}, wanted ${want ?? '<none>'}; not adopting`);
    }
    if (fresh.metadata.deletionTimestamp) throw new Error(`${this.describeOwner()} has just been deleted at ${fresh.metadata.deletionTimestamp}; not adopting`);
  }

  private describeOwner(): string {
    const { namespace, name } = this.options.owner.metadata;
    return `${this.options.ownerInfo.kind} ${namespace ? `${namespace}/` : ''}${name ?? ''}`;
  }
}
