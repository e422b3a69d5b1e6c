/**
 * Facts about a Deployment's ReplicaSets (Kubernetes' deployment util): their counts, their
 * orders, which one is the new one (its template equals the Deployment's, ignoring the
 * pod-template-hash label) and the template hash that names it. Pure functions over objects.
 */
import type { PodTemplateSpec, ReplicaSet } from '../../../lib/api/types';
import { canonicalJson, computeHash } from '../../../lib/controller/hash';
import { POD_TEMPLATE_HASH_LABEL, replicaSetStatus } from './deployment-types';

export { canonicalJson };

/**
 * The pod-template-hash of a template (Kubernetes' ComputeHash in spirit): FNV-1a over the
 * template's canonical JSON, then over `collisionCount` as 4 little-endian bytes when set, the
 * decimal result spelled in a safe alphabet. Stable across processes and restarts; a different
 * collisionCount gives a different hash (how a name collision is escaped).
 */
export function computePodTemplateHash(template: PodTemplateSpec | undefined, collisionCount?: number): string {
  return computeHash(template ?? {}, collisionCount);
}

/** The template without the pod-template-hash label (and without a labels map it left empty). */
export function templateWithoutHash(template: PodTemplateSpec | undefined): PodTemplateSpec {
  const t: PodTemplateSpec = structuredClone(template ?? {});
  const labels = t.metadata?.labels;
  if (labels) {
    delete labels[POD_TEMPLATE_HASH_LABEL];
    if (Object.keys(labels).length === 0) delete t.metadata!.labels;
  }
  return t;
}

/** Kubernetes' EqualIgnoreHash: the templates are equal once the pod-template-hash label is ignored. */
export function equalIgnoreHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  return canonicalJson(templateWithoutHash(a)) === canonicalJson(templateWithoutHash(b));
}

/** spec.replicas of a ReplicaSet (unset counts as 0 here: the controller always sets it). */
export function specReplicas(rs: ReplicaSet | undefined): number {
  return rs?.spec?.replicas ?? 0;
}

/** Sum of spec.replicas. */
export function replicaCount(sets: readonly (ReplicaSet | undefined)[]): number {
  return sets.reduce((n, rs) => n + specReplicas(rs), 0);
}

/** Sum of status.replicas (pods that exist). */
export function actualReplicaCount(sets: readonly (ReplicaSet | undefined)[]): number {
  return sets.reduce((n, rs) => n + (rs ? (replicaSetStatus(rs).replicas ?? 0) : 0), 0);
}

/** Sum of status.readyReplicas. */
export function readyReplicaCount(sets: readonly (ReplicaSet | undefined)[]): number {
  return sets.reduce((n, rs) => n + (rs ? (replicaSetStatus(rs).readyReplicas ?? 0) : 0), 0);
}

/** Sum of status.availableReplicas. */
export function availableReplicaCount(sets: readonly (ReplicaSet | undefined)[]): number {
  return sets.reduce((n, rs) => n + (rs ? (replicaSetStatus(rs).availableReplicas ?? 0) : 0), 0);
}

/** The sets with spec.replicas > 0. */
export function activeReplicaSets(sets: readonly (ReplicaSet | undefined)[]): ReplicaSet[] {
  return sets.filter((rs): rs is ReplicaSet => !!rs && specReplicas(rs) > 0);
}

function created(rs: ReplicaSet): number {
  return Date.parse(rs.metadata.creationTimestamp ?? '') || 0;
}

function byName(a: ReplicaSet, b: ReplicaSet): number {
  const x = a.metadata.name ?? '';
  const y = b.metadata.name ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Oldest first; equal timestamps by name (ReplicaSetsByCreationTimestamp). */
export function byCreation(a: ReplicaSet, b: ReplicaSet): number {
  return created(a) - created(b) || byName(a, b);
}

/** Larger first; equal sizes newer first (ReplicaSetsBySizeNewer: where scale-ups go first). */
export function bySizeNewer(a: ReplicaSet, b: ReplicaSet): number {
  return specReplicas(b) - specReplicas(a) || byCreation(b, a);
}

/** Larger first; equal sizes older first (ReplicaSetsBySizeOlder: where scale-downs go first). */
export function bySizeOlder(a: ReplicaSet, b: ReplicaSet): number {
  return specReplicas(b) - specReplicas(a) || byCreation(a, b);
}

/** The revision annotation as a number; 0 when absent or not a number. */
export function revisionOf(rs: ReplicaSet, annotation: string): number {
  const v = rs.metadata.annotations?.[annotation];
  const n = v === undefined ? NaN : Number(v);
  return Number.isInteger(n) && n >= 0 ? n : 0;
}

/**
 * The new ReplicaSet (the oldest whose template equals `template` ignoring the hash: older
 * ones win when several match, as Kubernetes picks) and the old ones (all others).
 */
export function splitNewAndOld(template: PodTemplateSpec | undefined, sets: readonly ReplicaSet[]): { newRS?: ReplicaSet; oldRSs: ReplicaSet[] } {
  const sorted = [...sets].sort(byCreation);
  const newRS = sorted.find((rs) => equalIgnoreHash(rs.spec?.template, template));
  return { newRS, oldRSs: sorted.filter((rs) => rs !== newRS) };
}
