/**
 * A DaemonSet's ControllerRevisions (Kubernetes' daemon controller constructHistory and
 * cleanupHistory): the current revision is the one whose data equals the template — re-numbered
 * to one past every other revision when it is an old one (a rollback), created when missing;
 * older equal duplicates are deleted once no live pod uses them; history beyond
 * revisionHistoryLimit (default 10) is deleted oldest first, never a revision a live pod uses.
 * Daemon pods carry the current revision's hash as `controller-revision-hash`.
 */
import { RESOURCES } from '../../../lib/api/resources';
import type { DaemonSet } from '../../../lib/api/types/apps';
import type { Pod } from '../../../lib/api/types/core';
import {
  CONTROLLER_REVISION_HASH_LABEL, ControllerHistory, DEFAULT_REVISION_HISTORY_LIMIT, REVISION_HASH_LABEL, findEqualRevisions, hashRevisionData,
  newControllerRevision, nextRevision, revisionsToTruncate, sortRevisions, templateRevisionData, type ControllerRevision,
} from '../../../lib/controller/history';

/** The current revision of a DaemonSet, its hash (the pods' label value) and the collisionCount that named it. */
export interface DaemonHistory {
  readonly current: ControllerRevision;
  readonly hash: string;
  readonly collisionCount: number;
  /** Every revision after construction, oldest first (the current one last). */
  readonly all: ControllerRevision[];
}

/** The revision data of a DaemonSet: its template as a replacing strategic-merge patch. */
export function daemonRevisionData(ds: DaemonSet): Record<string, unknown> {
  return templateRevisionData(ds.spec?.template);
}

/** The hash a revision labels pods with: its hash label, else the hash of its data. */
export function revisionHash(revision: ControllerRevision): string {
  return revision.metadata.labels?.[REVISION_HASH_LABEL] ?? hashRevisionData(revision.data);
}

/** The revision hashes the live pods are labelled with. */
function liveHashes(pods: readonly Pod[]): Set<string> {
  const hashes = new Set<string>();
  for (const p of pods) {
    const h = p.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL];
    if (h) hashes.add(h);
  }
  return hashes;
}

/** Finds, re-numbers or creates the current revision, and deletes unused duplicates of it. */
export async function constructDaemonHistory(history: ControllerHistory, ds: DaemonSet, claimed: readonly ControllerRevision[], pods: readonly Pod[]): Promise<DaemonHistory> {
  const all = sortRevisions(claimed);
  let collisionCount = typeof ds.status?.collisionCount === 'number' ? ds.status.collisionCount : 0;
  const candidate = newControllerRevision(ds, RESOURCES.daemonsets, ds.spec?.template?.metadata?.labels, daemonRevisionData(ds), nextRevision(all), collisionCount);
  const equal = findEqualRevisions(all, candidate);
  const others = all.filter((r) => !equal.includes(r));
  const head = nextRevision(others);
  let current: ControllerRevision;
  const newest = equal[equal.length - 1];
  if (newest) {
    current = (newest.revision ?? 0) < head ? await history.renumber(newest, head) : newest;
    const used = liveHashes(pods);
    for (const dup of equal.slice(0, -1)) if (!used.has(revisionHash(dup))) await history.delete(dup);
  } else {
    const created = await history.create({ ...candidate, revision: head }, collisionCount);
    current = created.revision;
    collisionCount = created.collisionCount;
  }
  return { current, hash: revisionHash(current), collisionCount, all: [...others, current] };
}

/** Deletes the revisions beyond revisionHistoryLimit that neither are current nor label a live pod. */
export async function truncateDaemonHistory(history: ControllerHistory, ds: DaemonSet, revisions: DaemonHistory, pods: readonly Pod[]): Promise<void> {
  const used = liveHashes(pods);
  const live = new Set<string>([revisions.current.metadata.name ?? '']);
  for (const r of revisions.all) if (used.has(revisionHash(r))) live.add(r.metadata.name ?? '');
  const limit = typeof ds.spec?.revisionHistoryLimit === 'number' ? ds.spec.revisionHistoryLimit : DEFAULT_REVISION_HISTORY_LIMIT;
  for (const r of revisionsToTruncate(revisions.all, live, limit)) await history.delete(r);
}
