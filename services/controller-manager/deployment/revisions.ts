/**
 * Revision bookkeeping on ReplicaSets and their Deployment (Kubernetes' SetNewReplicaSetAnnotations,
 * SetDeploymentRevision, SetReplicasAnnotations), which is what `kubectl rollout history|undo`
 * reads back:
 * - a new template's ReplicaSet gets revision max(old revisions) + 1; an old ReplicaSet made new
 *   again (a rollback) gets the next revision too and its earlier one goes to revision-history;
 * - the Deployment's own annotations (change-cause and the like) are copied to its new
 *   ReplicaSet, except the controller's and kubectl's bookkeeping ones, so undo can copy them back;
 * - desired-replicas / max-replicas record the Deployment size the set was last scaled for.
 * Each function edits the object given in place and says whether it changed anything.
 */
import type { Deployment, ReplicaSet } from '../../../lib/api/types';
import {
  ANNOTATIONS_NOT_COPIED, DESIRED_REPLICAS_ANNOTATION, MAX_REPLICAS_ANNOTATION, REVISION_ANNOTATION, REVISION_HISTORY_ANNOTATION,
} from './deployment-types';
import { revisionOf } from './replica-sets';

/** Longest revision-history annotation kept, in characters (oldest entries dropped first). */
export const MAX_REVISION_HISTORY_CHARS = 2000;

/** The highest revision among the sets (0 when none has one). */
export function maxRevision(sets: readonly ReplicaSet[]): number {
  return sets.reduce((m, rs) => Math.max(m, revisionOf(rs, REVISION_ANNOTATION)), 0);
}

function annotationsOf(obj: Deployment | ReplicaSet): Record<string, string> {
  return (obj.metadata.annotations ??= {});
}

/** Copies the Deployment's annotations (but the skipped ones) onto the ReplicaSet. */
function copyDeploymentAnnotations(d: Deployment, rs: ReplicaSet): boolean {
  const target = annotationsOf(rs);
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) {
    if (ANNOTATIONS_NOT_COPIED.has(k) || target[k] === v) continue;
    target[k] = v;
    changed = true;
  }
  return changed;
}

/** Sets desired-replicas and max-replicas; whether either changed. */
export function setReplicasAnnotations(rs: ReplicaSet, desired: number, max: number): boolean {
  const a = annotationsOf(rs);
  let changed = false;
  for (const [k, v] of [[DESIRED_REPLICAS_ANNOTATION, String(desired)], [MAX_REPLICAS_ANNOTATION, String(max)]] as const) {
    if (a[k] !== v) {
      a[k] = v;
      changed = true;
    }
  }
  return changed;
}

/** Whether desired-replicas or max-replicas differ from these values. */
export function replicasAnnotationsNeedUpdate(rs: ReplicaSet, desired: number, max: number): boolean {
  const a = rs.metadata.annotations ?? {};
  return a[DESIRED_REPLICAS_ANNOTATION] !== String(desired) || a[MAX_REPLICAS_ANNOTATION] !== String(max);
}

/**
 * The new ReplicaSet's annotations for `newRevision`: copied Deployment annotations; the
 * revision raised when lower (a reused set's earlier revision appended to revision-history);
 * for a set being created (`exists` false) the replicas annotations too.
 */
export function setNewReplicaSetAnnotations(d: Deployment, rs: ReplicaSet, newRevision: number, exists: boolean, desired: number, max: number): boolean {
  let changed = copyDeploymentAnnotations(d, rs);
  const a = annotationsOf(rs);
  const old = a[REVISION_ANNOTATION];
  const oldNumber = old === undefined ? 0 : Number(old);
  if (old !== undefined && !Number.isInteger(oldNumber)) return changed; // not ours to fix
  if (oldNumber < newRevision) {
    a[REVISION_ANNOTATION] = String(newRevision);
    changed = true;
    if (old !== undefined) {
      const history = a[REVISION_HISTORY_ANNOTATION] ? a[REVISION_HISTORY_ANNOTATION].split(',') : [];
      history.push(old);
      while (history.length > 1 && history.join(',').length > MAX_REVISION_HISTORY_CHARS) history.shift();
      a[REVISION_HISTORY_ANNOTATION] = history.join(',');
    }
  }
  if (!exists && setReplicasAnnotations(rs, desired, max)) changed = true;
  return changed;
}

/** Sets the Deployment's revision annotation; whether it changed. */
export function setDeploymentRevision(d: Deployment, revision: string): boolean {
  const a = annotationsOf(d);
  if (a[REVISION_ANNOTATION] === revision) return false;
  a[REVISION_ANNOTATION] = revision;
  return true;
}

/** The desired-replicas annotation of a set, if it is a number. */
export function desiredReplicasAnnotation(rs: ReplicaSet): number | undefined {
  const v = rs.metadata.annotations?.[DESIRED_REPLICAS_ANNOTATION];
  const n = v === undefined ? NaN : Number(v);
  return Number.isInteger(n) ? n : undefined;
}
