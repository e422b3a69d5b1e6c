/**
 * Controller history (Kubernetes' pkg/controller/history): the apps/v1 ControllerRevisions a
 * StatefulSet or DaemonSet keeps of its pod template, so it can tell updated pods from old ones,
 * roll forward and be rolled back (`kubectl rollout history|undo`).
 *
 * A revision is an immutable `data` snapshot plus a `revision` number. It is named
 * `<parent>-<hash>` where the hash is {@link computeHash} of the data and the parent's
 * collisionCount; it carries the parent's template labels (so the parent's selector lists it),
 * the hash under {@link REVISION_HASH_LABEL}, and a controllerRef to the parent. Two revisions
 * are equal when their data is; re-using an old equal revision (a rollback) only moves its
 * `revision` number to the head. History is truncated to revisionHistoryLimit, oldest first,
 * never deleting a revision that is current, being updated to, or still labels a live pod.
 */
import type { KubeObject, ResourceInfo } from '../api/object';
import { isAlreadyExists, isNotFound } from '../api/status';
import type { ControllerRevision } from '../api/types/apps';
import type { ResourceClient } from '../client/api-client';
import { newControllerRef } from './controller-ref';
import { canonicalJson, computeHash } from './hash';

export type { ControllerRevision };

/** The pod label naming the revision a pod was made from (apps/v1 ControllerRevisionHashLabelKey). */
export const CONTROLLER_REVISION_HASH_LABEL = 'controller-revision-hash';
/** The label on a ControllerRevision carrying its hash (Kubernetes' ControllerRevisionHashLabel). */
export const REVISION_HASH_LABEL = 'controller.kubernetes.io/hash';
/** revisionHistoryLimit when a parent does not set it. */
export const DEFAULT_REVISION_HISTORY_LIMIT = 10;
/** Longest parent-name prefix of a revision name, so `<prefix>-<hash>` stays a valid name (253). */
export const MAX_REVISION_PREFIX_LENGTH = 223;
/** How many name collisions a create escapes (by bumping collisionCount) before it gives up. */
export const MAX_COLLISION_RETRIES = 10;

/** Strategic-merge directive that makes a patch replace the whole template (what `kubectl rollout undo` applies). */
const PATCH_DIRECTIVE = '$patch';
const PATCH_REPLACE = 'replace';

/**
 * The revision data of a pod template: `{spec:{template:{...,$patch:replace}}}`, a
 * strategic-merge patch that puts the template back (kubectl 1.32's undo applies it as is).
 */
export function templateRevisionData(template: unknown): Record<string, unknown> {
  return { spec: { template: { ...structuredClone((template ?? {}) as Record<string, unknown>), [PATCH_DIRECTIVE]: PATCH_REPLACE } } };
}

/** The pod template a revision holds (the patch directive removed); undefined when it holds none. */
export function revisionTemplate(revision: ControllerRevision): Record<string, unknown> | undefined {
  const spec = (revision.data as { spec?: { template?: Record<string, unknown> } } | undefined)?.spec;
  if (!spec?.template) return undefined;
  const template = structuredClone(spec.template);
  delete template[PATCH_DIRECTIVE];
  return template;
}

/** The hash of a revision's data under `collisionCount` (the value of {@link REVISION_HASH_LABEL}). */
export function hashRevisionData(data: unknown, collisionCount?: number): string {
  return computeHash(data ?? {}, collisionCount);
}

/** `<prefix>-<hash>`, the prefix cut to {@link MAX_REVISION_PREFIX_LENGTH}. */
export function revisionName(prefix: string, hash: string): string {
  return `${prefix.slice(0, MAX_REVISION_PREFIX_LENGTH)}-${hash}`;
}

/**
 * A new revision of `parent` (not yet stored): `data`, number `revision`, the template's labels
 * plus the hash label, a controllerRef to the parent, and annotations copied from the parent
 * (kubectl reads kubernetes.io/change-cause from there). Named by the hash under collisionCount.
 */
export function newControllerRevision(
  parent: KubeObject,
  parentInfo: ResourceInfo,
  templateLabels: Record<string, string> | undefined,
  data: Record<string, unknown>,
  revision: number,
  collisionCount?: number,
): ControllerRevision {
  const hash = hashRevisionData(data, collisionCount);
  const annotations = parent.metadata.annotations;
  return {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: revisionName(parent.metadata.name ?? '', hash),
      namespace: parent.metadata.namespace,
      labels: { ...(templateLabels ?? {}), [REVISION_HASH_LABEL]: hash },
      ...(annotations && Object.keys(annotations).length > 0 ? { annotations: { ...annotations } } : {}),
      ownerReferences: [newControllerRef(parent, parentInfo)],
    },
    data,
    revision,
  };
}

/** Oldest first: by revision number, then creation time, then name (Kubernetes' SortControllerRevisions). */
export function sortRevisions(revisions: readonly ControllerRevision[]): ControllerRevision[] {
  const key = (r: ControllerRevision) => [r.revision ?? 0, r.metadata.creationTimestamp ?? '', r.metadata.name ?? ''] as const;
  return [...revisions].sort((a, b) => {
    const [ra, ta, na] = key(a);
    const [rb, tb, nb] = key(b);
    if (ra !== rb) return ra - rb;
    if (ta !== tb) return ta < tb ? -1 : 1;
    return na < nb ? -1 : na > nb ? 1 : 0;
  });
}

/**
 * Whether two revisions hold the same data (key order ignored). Hash labels are not compared:
 * equal data stored under another collisionCount has another hash.
 */
export function equalRevision(a: ControllerRevision, b: ControllerRevision): boolean {
  return canonicalJson(a.data ?? null) === canonicalJson(b.data ?? null);
}

/** The revisions equal to `needle`, in the order given. */
export function findEqualRevisions(revisions: readonly ControllerRevision[], needle: ControllerRevision): ControllerRevision[] {
  return revisions.filter((r) => equalRevision(r, needle));
}

/** The number the next revision gets: one more than the highest, 1 for an empty history. */
export function nextRevision(revisions: readonly ControllerRevision[]): number {
  return revisions.reduce((max, r) => Math.max(max, r.revision ?? 0), 0) + 1;
}

/**
 * The revisions history truncation deletes, oldest first: those not named in `live` (the
 * current and update revisions and every revision a live pod is labelled with), beyond the
 * newest `limit` of them.
 */
export function revisionsToTruncate(revisions: readonly ControllerRevision[], live: ReadonlySet<string>, limit: number = DEFAULT_REVISION_HISTORY_LIMIT): ControllerRevision[] {
  const historic = sortRevisions(revisions).filter((r) => !live.has(r.metadata.name ?? ''));
  return historic.slice(0, Math.max(0, historic.length - Math.max(0, limit)));
}

/** What {@link ControllerHistory.create} stored: the revision and the collisionCount that named it. */
export interface CreatedRevision {
  readonly revision: ControllerRevision;
  readonly collisionCount: number;
}

/** Writes a parent's revisions through the API. */
export class ControllerHistory {
  constructor(private readonly client: ResourceClient<ControllerRevision>) {}

  /**
   * Stores `revision` (made by {@link newControllerRevision} under `collisionCount`). When its
   * name is taken by an equal revision that one is answered; by a different one, collisionCount
   * goes up and the revision is renamed (Kubernetes' CreateControllerRevision).
   */
  async create(revision: ControllerRevision, collisionCount: number): Promise<CreatedRevision> {
    let count = collisionCount;
    for (let attempt = 0; attempt <= MAX_COLLISION_RETRIES; attempt++) {
      const hash = hashRevisionData(revision.data, count);
      const prefix = (revision.metadata.ownerReferences ?? []).find((r) => r.controller)?.name ?? revision.metadata.name ?? '';
      const candidate: ControllerRevision = {
        ...revision,
        metadata: { ...revision.metadata, name: revisionName(prefix, hash), labels: { ...(revision.metadata.labels ?? {}), [REVISION_HASH_LABEL]: hash } },
      };
      try {
        return { revision: await this.client.create(candidate.metadata.namespace, candidate), collisionCount: count };
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
        const existing = await this.client.get(candidate.metadata.namespace, candidate.metadata.name ?? '');
        if (equalRevision(existing, candidate)) return { revision: existing, collisionCount: count };
        count++;
      }
    }
    throw new Error(`ControllerRevision ${revision.metadata.namespace ?? ''}/${revision.metadata.name ?? ''}: ${MAX_COLLISION_RETRIES} name collisions in a row`);
  }

  /** Moves `revision` to number `to` (a rollback re-using it); answers it unchanged when it already has it. */
  async renumber(revision: ControllerRevision, to: number): Promise<ControllerRevision> {
    if (revision.revision === to) return revision;
    return this.client.update(revision.metadata.namespace, { ...revision, revision: to });
  }

  /** Deletes a revision (uid precondition); one already gone is fine. */
  async delete(revision: ControllerRevision): Promise<void> {
    try {
      await this.client.delete(revision.metadata.namespace, revision.metadata.name ?? '', { preconditions: { uid: revision.metadata.uid } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
