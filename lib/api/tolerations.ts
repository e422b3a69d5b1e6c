/**
 * Taints and tolerations with Kubernetes' semantics (core/v1 Toleration.ToleratesTaint), for
 * everyone who places or evicts pods (scheduler, DaemonSet controller, taint eviction): a
 * toleration with an effect matches only that effect; with a key only that key (an empty key
 * matches every key); operator Exists matches any value, Equal (or none) the same value.
 */

export const EFFECT_NO_SCHEDULE = 'NoSchedule';
export const EFFECT_PREFER_NO_SCHEDULE = 'PreferNoSchedule';
export const EFFECT_NO_EXECUTE = 'NoExecute';

/** What matching reads of a taint (the generated core/v1 Taint and the scheduler's parsed one both fit). */
export interface TaintMatch {
  readonly key?: string | null;
  readonly value?: string | null;
  readonly effect?: string | null;
}

/** What matching reads of a toleration. */
export interface TolerationMatch {
  readonly key?: string | null;
  readonly operator?: string | null;
  readonly value?: string | null;
  readonly effect?: string | null;
}

/** Whether `t` tolerates `taint`. */
export function toleratesTaint(t: TolerationMatch, taint: TaintMatch): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  switch (t.operator ?? '') {
    case '':
    case 'Equal':
      return (t.value ?? '') === (taint.value ?? '');
    case 'Exists':
      return true;
    default:
      return false;
  }
}

/** Whether any of `tolerations` tolerates `taint`. */
export function tolerationsTolerate(tolerations: readonly TolerationMatch[], taint: TaintMatch): boolean {
  for (const t of tolerations) if (toleratesTaint(t, taint)) return true;
  return false;
}

/** The first taint with an effect in `effects` that no toleration tolerates, if any. */
export function findUntoleratedTaint<T extends TaintMatch>(taints: readonly T[], tolerations: readonly TolerationMatch[], effects: ReadonlySet<string>): T | undefined {
  for (const taint of taints) {
    if (effects.has(taint.effect ?? '') && !tolerationsTolerate(tolerations, taint)) return taint;
  }
  return undefined;
}

/** The effects a pod must tolerate to be placed (the scheduler's filter and DoNotSchedule spreading). */
export const DO_NOT_SCHEDULE_EFFECTS: ReadonlySet<string> = new Set([EFFECT_NO_SCHEDULE, EFFECT_NO_EXECUTE]);
