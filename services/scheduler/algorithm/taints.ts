/**
 * Taints and tolerations with Kubernetes' semantics (core/v1 Toleration.ToleratesTaint): a
 * toleration with an effect matches only that effect; with a key only that key (an empty key
 * matches every key); operator Exists matches any value, Equal (or none) the same value.
 */
import type { Taint, Toleration } from './api-types';
import { arrayAt, MalformedObjectError, stringAt } from './malformed';

export const EFFECT_NO_SCHEDULE = 'NoSchedule';
export const EFFECT_PREFER_NO_SCHEDULE = 'PreferNoSchedule';
export const EFFECT_NO_EXECUTE = 'NoExecute';
/** The taint an unschedulable (cordoned) node carries, which the NodeUnschedulable filter honours. */
export const TAINT_NODE_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';

const EFFECTS = new Set([EFFECT_NO_SCHEDULE, EFFECT_PREFER_NO_SCHEDULE, EFFECT_NO_EXECUTE]);
const OPERATORS = new Set(['', 'Equal', 'Exists']);

/** Whether `t` tolerates `taint`. */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
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
export function tolerationsTolerate(tolerations: readonly Toleration[], taint: Taint): boolean {
  for (const t of tolerations) if (toleratesTaint(t, taint)) return true;
  return false;
}

/** The first taint with an effect in `effects` that no toleration tolerates, if any. */
export function findUntoleratedTaint(taints: readonly Taint[], tolerations: readonly Toleration[], effects: ReadonlySet<string>): Taint | undefined {
  for (const taint of taints) {
    if (effects.has(taint.effect) && !tolerationsTolerate(tolerations, taint)) return taint;
  }
  return undefined;
}

/** The effects a pod must tolerate to be placed (the filter's and DoNotSchedule spreading's). */
export const DO_NOT_SCHEDULE_EFFECTS: ReadonlySet<string> = new Set([EFFECT_NO_SCHEDULE, EFFECT_NO_EXECUTE]);

/** Reads spec.taints of a node; throws MalformedObjectError. */
export function parseTaints(value: unknown, field = 'spec.taints'): Taint[] {
  return arrayAt<Taint>(value, field).map((t, i) => {
    const f = `${field}[${i}]`;
    const key = stringAt(t?.key, `${f}.key`);
    const effect = stringAt(t?.effect, `${f}.effect`);
    if (!EFFECTS.has(effect)) throw new MalformedObjectError(`${f}.effect`, `unsupported effect "${effect}"`);
    return { key, value: stringAt(t?.value, `${f}.value`), effect };
  });
}

/** Reads spec.tolerations of a pod; throws MalformedObjectError. */
export function parseTolerations(value: unknown, field = 'spec.tolerations'): Toleration[] {
  return arrayAt<Toleration>(value, field).map((t, i) => {
    const f = `${field}[${i}]`;
    const operator = stringAt(t?.operator, `${f}.operator`);
    if (!OPERATORS.has(operator)) throw new MalformedObjectError(`${f}.operator`, `unsupported operator "${operator}"`);
    return { key: stringAt(t?.key, `${f}.key`), operator, value: stringAt(t?.value, `${f}.value`), effect: stringAt(t?.effect, `${f}.effect`) };
  });
}
