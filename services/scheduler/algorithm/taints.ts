/**
 * Reading a node's taints and a pod's tolerations for the scheduler (the matching itself is
 * lib/api/tolerations, shared with the controllers).
 */
import { EFFECT_NO_EXECUTE, EFFECT_NO_SCHEDULE, EFFECT_PREFER_NO_SCHEDULE } from '../../../lib/api/tolerations';
import type { Taint, Toleration } from './api-types';
import { arrayAt, MalformedObjectError, stringAt } from './malformed';

/** The taint an unschedulable (cordoned) node carries, which the NodeUnschedulable filter honours. */
export const TAINT_NODE_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';

const EFFECTS = new Set([EFFECT_NO_SCHEDULE, EFFECT_PREFER_NO_SCHEDULE, EFFECT_NO_EXECUTE]);
const OPERATORS = new Set(['', 'Equal', 'Exists']);

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
