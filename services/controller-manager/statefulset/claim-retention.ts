/**
 * persistentVolumeClaimRetentionPolicy through ownerReferences, as Kubernetes does it: the
 * garbage collector deletes a PVC once every owner it names is gone.
 * - whenDeleted: Delete — each claim of a pod in range is owned by the StatefulSet, so deleting
 *   the set deletes its claims;
 * - whenScaled: Delete — each claim of a condemned pod (ordinal beyond the replicas) is owned by
 *   that pod, so the scale-down that deletes the pod deletes its claims;
 * - Retain (the default for both) — the claims carry neither reference and outlive everything.
 * The controller sets these before it deletes a condemned pod. Pure functions.
 */
import { MERGE_PATCH_TYPE } from '../../../lib/api/patch';
import type { OwnerReference } from '../../../lib/api/object';
import { RESOURCES } from '../../../lib/api/resources';
import type { StatefulSet } from '../../../lib/api/types/apps';
import type { PersistentVolumeClaim, Pod } from '../../../lib/api/types/core';
import { claimName, claimTemplates, podOrdinal, specReplicas, startOrdinal } from './stateful-pod';

const DELETE = 'Delete';

/** A merge patch of one claim's ownerReferences (uid and resourceVersion preconditions included). */
export interface ClaimOwnerPatch {
  readonly claim: string;
  readonly patchType: string;
  readonly patch: string;
}

/** The ownerReference a claim carries to `owner` (not a controllerRef: the claim has no controller). */
function ownerRef(apiVersion: string, kind: string, owner: { metadata: { name?: string; uid?: string } }): OwnerReference {
  return { apiVersion, kind, name: owner.metadata.name ?? '', uid: owner.metadata.uid ?? '' };
}

/**
 * The patches that make the claims of `pods` carry exactly the owners the policy wants (see the
 * file comment), for the claims `getClaim` finds; other ownerReferences are kept.
 */
export function claimOwnerRefPatches(set: StatefulSet, pods: readonly Pod[], getClaim: (name: string) => PersistentVolumeClaim | undefined): ClaimOwnerPatch[] {
  const policy = set.spec?.persistentVolumeClaimRetentionPolicy ?? {};
  const templates = claimTemplates(set);
  if (templates.length === 0) return [];
  const start = startOrdinal(set);
  const end = start + specReplicas(set);
  const setRef = ownerRef('apps/v1', RESOURCES.statefulsets.kind, set);
  const patches: ClaimOwnerPatch[] = [];
  for (const pod of pods) {
    const ordinal = podOrdinal(set, pod);
    if (ordinal === undefined || pod.metadata.deletionTimestamp) continue;
    const condemned = ordinal < start || ordinal >= end;
    const wanted: OwnerReference[] = [];
    if (policy.whenDeleted === DELETE && !condemned) wanted.push(setRef);
    if (policy.whenScaled === DELETE && condemned) wanted.push(ownerRef('v1', RESOURCES.pods.kind, pod));
    const ours = new Set([set.metadata.uid, pod.metadata.uid]);
    for (const t of templates) {
      const claim = getClaim(claimName(t.metadata.name ?? '', set, ordinal));
      if (!claim) continue;
      const refs = claim.metadata.ownerReferences ?? [];
      const kept = refs.filter((r) => !ours.has(r.uid));
      const next = [...kept, ...wanted];
      const same = next.length === refs.length && next.every((r) => refs.some((o) => o.uid === r.uid));
      if (same) continue;
      const { uid, resourceVersion } = claim.metadata;
      patches.push({
        claim: claim.metadata.name ?? '',
        patchType: MERGE_PATCH_TYPE,
        patch: JSON.stringify({ metadata: { ownerReferences: next.length > 0 ? next : null, uid, resourceVersion } }),
      });
    }
  }
  return patches;
}
