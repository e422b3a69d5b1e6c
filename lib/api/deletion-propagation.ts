/**
 * Deletion propagation (Kubernetes' DeleteOptions.propagationPolicy) as finalizers on the object
 * being deleted, shared by the apiserver's registry, the fake store and the garbage collector.
 *
 * - `Orphan` sets the `orphan` finalizer: the garbage collector removes the object's
 *   ownerReference from every dependent, then the finalizer.
 * - `Foreground` sets the `foregroundDeletion` finalizer: the garbage collector deletes the
 *   dependents first and removes the finalizer once none with blockOwnerDeletion remains.
 * - `Background` sets neither: the object goes at once; the collector deletes the dependents later.
 * - An explicit policy replaces the other policy's finalizer (a later delete may change its mind,
 *   as in Kubernetes); no policy keeps whatever the object carries. Every kind Bosun serves
 *   defaults to Background (apps/v1 included; only Kubernetes' retired API versions orphaned).
 */

/** The finalizer of foreground cascading deletion (metav1.FinalizerDeleteDependents). */
export const FOREGROUND_FINALIZER = 'foregroundDeletion';
/** The finalizer of orphaning deletion (metav1.FinalizerOrphanDependents). */
export const ORPHAN_FINALIZER = 'orphan';

/** The propagation policies of a delete. */
export type PropagationPolicy = 'Orphan' | 'Background' | 'Foreground';

/** The finalizers an object carries after a delete with `policy` (see the file comment); `existing` is not changed. */
export function finalizersForDeletion(existing: readonly string[], policy: PropagationPolicy | undefined): string[] {
  const out = [...existing];
  if (policy === undefined) return out;
  const wanted = policy === 'Foreground' ? FOREGROUND_FINALIZER : policy === 'Orphan' ? ORPHAN_FINALIZER : undefined;
  const kept = out.filter((f) => (f !== FOREGROUND_FINALIZER && f !== ORPHAN_FINALIZER) || f === wanted);
  if (wanted && !kept.includes(wanted)) kept.push(wanted);
  return kept;
}
