/**
 * The garbage collector's dependency graph (Kubernetes' GraphBuilder): one node per object uid
 * of every kind the collector watches, linked owner → dependents through ownerReferences. The
 * graph only schedules work; every decision to delete or patch is taken later from a live read
 * (see garbage-collector.ts), so a stale or wrong graph can delay the collector, never mislead it.
 *
 * Contract:
 * - `observe(id, meta, oldMeta?)` applies an add/update seen by an informer; `observeDeletion`
 *   a delete seen by an informer; `virtualDelete(id)` the collector's own finding that `id` does
 *   not exist (a live GET said NotFound or another uid). Each returns {@link GraphEffects}: the
 *   uids to look at (attemptToDelete), the owners whose dependents must be orphaned, and the
 *   invalid ownerReferences to report. The graph never does I/O.
 * - An ownerReference to a uid nobody has observed creates a *virtual* node with the reference's
 *   coordinates (namespace = the dependent's when the owner's kind is namespaced), queued at once
 *   so the collector checks whether the owner exists. Observing the real object turns it real;
 *   dependents whose references disagree with the observed coordinates are queued for a check,
 *   and a namespaced owner seen in another namespace than its dependent is reported as invalid
 *   (Kubernetes' OwnerRefInvalidNamespace).
 * - Transitions: an object starting deletion with the `orphan` finalizer is queued for
 *   orphaning; with `foregroundDeletion` it is marked deletingDependents and it and all its
 *   dependents are queued. A dependent that stops blocking its owner (reference removed or
 *   blockOwnerDeletion turned off) or is deleted queues that owner.
 * - Cost: each event touches the node and its owners only (linear in references).
 */
import { FOREGROUND_FINALIZER, ORPHAN_FINALIZER } from '../../../lib/api/deletion-propagation';
import type { OwnerReference } from '../../../lib/api/object';
import { groupOfApiVersion } from '../../../lib/api/resources';
import type { AbsentOwnerCache } from './absent-owner-cache';
import { ownerIdentity, sameIdentity, type ObjectIdentity } from './identity';


/** What the graph needs of an observed object's metadata. */
export interface ObservedMeta {
  /** The usable ownerReferences (see identity.ts ownerReferencesOf). */
  readonly ownerReferences: readonly OwnerReference[];
  /** Whether metadata.deletionTimestamp is set. */
  readonly beingDeleted: boolean;
  readonly finalizers: readonly string[];
}

/** Whether a kind is namespaced (from discovery); undefined when the kind is not served. */
export type ScopeResolver = (apiVersion: string, kind: string) => boolean | undefined;

/** One object (or, while virtual, one object some dependent says exists). */
export class GraphNode {
  /** Dependents: nodes with an ownerReference to this node's uid. */
  readonly dependents = new Set<GraphNode>();
  /** Seen through an informer (false: a virtual node made from a dependent's reference). */
  observed: boolean;
  beingDeleted = false;
  /** Being deleted with the foregroundDeletion finalizer: its dependents go first. */
  deletingDependents = false;

  constructor(
    public identity: ObjectIdentity,
    public owners: readonly OwnerReference[],
    observed: boolean,
  ) {
    this.observed = observed;
  }

  get uid(): string {
    return this.identity.uid;
  }

  /** Dependents whose reference to this node has blockOwnerDeletion: true (foreground deletion waits for them). */
  blockingDependents(): GraphNode[] {
    return [...this.dependents].filter((d) => d.owners.some((r) => r.uid === this.uid && r.blockOwnerDeletion === true));
  }
}

/** An ownerReference a dependent holds that can never be valid. */
export interface InvalidOwnerReference {
  readonly dependent: ObjectIdentity;
  /** The owner as the dependent names it (in its own namespace). */
  readonly owner: ObjectIdentity;
}

/** The work a graph change calls for. */
export class GraphEffects {
  /** uids to process in attemptToDelete now. */
  readonly attemptToDelete = new Set<string>();
  /** uids to process in attemptToDelete after the key's backoff (a virtual node tried again). */
  readonly attemptToDeleteLater = new Set<string>();
  /** uids of owners whose dependents must be orphaned. */
  readonly attemptToOrphan = new Set<string>();
  readonly invalidOwnerReferences: InvalidOwnerReference[] = [];
}

/** The dependency graph. See the file comment. */
export class DependencyGraph {
  private readonly nodes = new Map<string, GraphNode>();

  constructor(
    private readonly scopeOf: ScopeResolver,
    private readonly absentOwners: AbsentOwnerCache,
  ) {}

  /** The node of `uid`, if any. */
  node(uid: string): GraphNode | undefined {
    return this.nodes.get(uid);
  }

  /** Nodes in the graph (real and virtual). */
  get size(): number {
    return this.nodes.size;
  }

  /** An add or update of `id` seen by an informer; `oldMeta` is the state before an update. */
  observe(id: ObjectIdentity, meta: ObservedMeta, oldMeta?: ObservedMeta): GraphEffects {
    const fx = new GraphEffects();
    let node = this.nodes.get(id.uid);
    if (node && !node.observed) this.markObserved(node, id, fx);
    if (!node) {
      node = new GraphNode(id, [...meta.ownerReferences], true);
      this.nodes.set(id.uid, node);
      this.addDependentToOwners(node, node.owners, fx);
    } else {
      if (node.identity.apiVersion !== id.apiVersion || node.identity.kind !== id.kind) node.identity = id;
      const { added, removed, changed } = referenceDiff(node.owners, meta.ownerReferences);
      if (added.length + removed.length + changed.length > 0) {
        this.queueUnblockedOwners(removed, changed, fx);
        node.owners = [...meta.ownerReferences];
        this.addDependentToOwners(node, added, fx);
        this.removeDependentFromOwners(node, removed);
      }
    }
    node.beingDeleted = meta.beingDeleted;
    node.deletingDependents = meta.beingDeleted && meta.finalizers.includes(FOREGROUND_FINALIZER);
    this.processTransitions(node, meta, oldMeta, fx);
    return fx;
  }

  /** A delete of `id` seen by an informer. */
  observeDeletion(id: ObjectIdentity): GraphEffects {
    const fx = new GraphEffects();
    const node = this.nodes.get(id.uid);
    if (!node) return fx;
    if (!node.observed) this.markObserved(node, id, fx);
    this.removeAndQueue(node, fx);
    return fx;
  }

  /**
   * The collector verified with a live read that `id` does not exist. A virtual node is removed
   * (its dependents queued) unless some dependents name the uid with other coordinates — then only
   * the dependents naming `id` are queued and the node lives on under the other coordinates. A
   * real node with other coordinates stays (it exists; only the dependents naming `id` are wrong).
   */
  virtualDelete(id: ObjectIdentity): GraphEffects {
    const fx = new GraphEffects();
    const node = this.nodes.get(id.uid);
    if (!node) return fx;
    const { matching, other } = this.partitionDependents(node, id);
    if (!node.observed && other.length > 0) {
      if (matching.length > 0) {
        this.absentOwners.add(id);
        for (const d of matching) fx.attemptToDelete.add(d.uid);
      }
      if (sameIdentity(node.identity, id)) {
        const alternative = this.identityNamedBy(other[0]!, node.uid);
        if (alternative) {
          node.identity = alternative;
          fx.attemptToDeleteLater.add(node.uid);
        }
      }
      return fx;
    }
    if (node.observed && !sameIdentity(node.identity, id)) {
      this.absentOwners.add(id);
      for (const d of matching) fx.attemptToDelete.add(d.uid);
      return fx;
    }
    this.removeAndQueue(node, fx);
    return fx;
  }

  /** A virtual node observed for real: dependents naming other coordinates are checked. */
  private markObserved(node: GraphNode, id: ObjectIdentity, fx: GraphEffects): void {
    if (!sameIdentity(node.identity, id)) {
      for (const dep of this.partitionDependents(node, id).other) {
        if (id.namespace !== '' && dep.identity.namespace !== id.namespace) {
          const owner = this.identityNamedBy(dep, id.uid);
          if (owner) fx.invalidOwnerReferences.push({ dependent: dep.identity, owner });
        }
        fx.attemptToDelete.add(dep.uid);
      }
    }
    node.identity = id;
    node.observed = true;
  }

  private removeAndQueue(node: GraphNode, fx: GraphEffects): void {
    this.nodes.delete(node.uid);
    this.removeDependentFromOwners(node, node.owners);
    if (node.dependents.size > 0) this.absentOwners.add(node.identity);
    for (const d of node.dependents) fx.attemptToDelete.add(d.uid);
    // An owner waiting for its dependents looks again: this may have been the last one.
    for (const ref of node.owners) {
      const owner = this.nodes.get(ref.uid);
      if (owner?.deletingDependents) fx.attemptToDelete.add(owner.uid);
    }
  }

  private addDependentToOwners(node: GraphNode, refs: readonly OwnerReference[], fx: GraphEffects): void {
    let suspicious = false;
    for (const ref of refs) {
      let owner = this.nodes.get(ref.uid);
      if (!owner) {
        owner = new GraphNode(this.identityFromRef(ref, node.identity.namespace), [], false);
        this.nodes.set(owner.uid, owner);
        fx.attemptToDelete.add(owner.uid); // does it exist? the collector will look
      }
      owner.dependents.add(node);
      if (owner.deletingDependents) suspicious = true; // a dependent born into a foreground deletion
      if (!owner.observed) continue;
      const ownerNamespace = owner.identity.namespace;
      if (ownerNamespace !== '' && ownerNamespace !== node.identity.namespace) {
        fx.invalidOwnerReferences.push({ dependent: node.identity, owner: this.identityFromRef(ref, node.identity.namespace) });
        suspicious = true;
      } else if (!refMatches(ref, owner.identity)) {
        suspicious = true;
      }
    }
    if (suspicious) fx.attemptToDelete.add(node.uid);
  }

  private removeDependentFromOwners(node: GraphNode, refs: readonly OwnerReference[]): void {
    for (const ref of refs) this.nodes.get(ref.uid)?.dependents.delete(node);
  }

  /** Owners no longer blocked by `removed` references or references whose blockOwnerDeletion turned off. */
  private queueUnblockedOwners(removed: readonly OwnerReference[], changed: readonly { old: OwnerReference; now: OwnerReference }[], fx: GraphEffects): void {
    const unblocked = [
      ...removed.filter((r) => r.blockOwnerDeletion === true),
      ...changed.filter((c) => c.old.blockOwnerDeletion === true && c.now.blockOwnerDeletion !== true).map((c) => c.now),
    ];
    for (const ref of unblocked) if (this.nodes.has(ref.uid)) fx.attemptToDelete.add(ref.uid);
  }

  private processTransitions(node: GraphNode, meta: ObservedMeta, oldMeta: ObservedMeta | undefined, fx: GraphEffects): void {
    if (startsDeletionWith(ORPHAN_FINALIZER, meta, oldMeta)) {
      fx.attemptToOrphan.add(node.uid);
      return;
    }
    if (startsDeletionWith(FOREGROUND_FINALIZER, meta, oldMeta)) {
      for (const d of node.dependents) fx.attemptToDelete.add(d.uid);
      fx.attemptToDelete.add(node.uid);
    }
  }

  /** Dependents whose reference to `id.uid` names `id` exactly (and sit in its namespace when it has one), and the rest. */
  private partitionDependents(node: GraphNode, id: ObjectIdentity): { matching: GraphNode[]; other: GraphNode[] } {
    const matching: GraphNode[] = [];
    const other: GraphNode[] = [];
    for (const dep of node.dependents) {
      const named = this.identityNamedBy(dep, id.uid);
      (named && sameIdentity(named, id) ? matching : other).push(dep);
    }
    return { matching, other };
  }

  /** The owner identity `dep`'s reference to `uid` names, if it has one. */
  private identityNamedBy(dep: GraphNode, uid: string): ObjectIdentity | undefined {
    const ref = dep.owners.find((r) => r.uid === uid);
    return ref && this.identityFromRef(ref, dep.identity.namespace);
  }

  private identityFromRef(ref: OwnerReference, dependentNamespace: string): ObjectIdentity {
    // A kind the server does not serve is taken as namespaced: the live lookup will say more.
    return ownerIdentity(ref, dependentNamespace, this.scopeOf(ref.apiVersion, ref.kind) ?? true);
  }
}

/** Whether `ref` names `id` (group, kind, name, uid). */
function refMatches(ref: OwnerReference, id: ObjectIdentity): boolean {
  return ref.uid === id.uid && ref.name === id.name && ref.kind === id.kind && groupOfApiVersion(ref.apiVersion) === groupOfApiVersion(id.apiVersion);
}

/** Whether this change starts a deletion that carries `finalizer` (or the first sight of one). */
function startsDeletionWith(finalizer: string, meta: ObservedMeta, old: ObservedMeta | undefined): boolean {
  if (!meta.beingDeleted || !meta.finalizers.includes(finalizer)) return false;
  return !old || !old.beingDeleted || !old.finalizers.includes(finalizer);
}

/** References added, removed and changed (same uid, other fields) between two lists. */
export function referenceDiff(
  old: readonly OwnerReference[],
  now: readonly OwnerReference[],
): { added: OwnerReference[]; removed: OwnerReference[]; changed: { old: OwnerReference; now: OwnerReference }[] } {
  const before = new Map(old.map((r) => [r.uid, r]));
  const added: OwnerReference[] = [];
  const changed: { old: OwnerReference; now: OwnerReference }[] = [];
  for (const ref of now) {
    const was = before.get(ref.uid);
    if (!was) added.push(ref);
    else if (!sameReference(was, ref)) changed.push({ old: was, now: ref });
    before.delete(ref.uid);
  }
  return { added, removed: [...before.values()], changed };
}

function sameReference(a: OwnerReference, b: OwnerReference): boolean {
  return (
    a.apiVersion === b.apiVersion &&
    a.kind === b.kind &&
    a.name === b.name &&
    a.uid === b.uid &&
    (a.controller ?? false) === (b.controller ?? false) &&
    (a.blockOwnerDeletion ?? false) === (b.blockOwnerDeletion ?? false)
  );
}
