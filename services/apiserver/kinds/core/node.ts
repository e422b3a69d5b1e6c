import type { FieldError } from '../../../../lib/api/errors';
import { validateQuantity } from '../../../../lib/api/quantity';
import { invalid, required, toPath, validateQualifiedName, validateLabelValue } from '../../../../lib/api/validation';
import type { Strategy } from '../../registry/strategy';
import { checkMap, isRecord, objectItems, specDiffers, validateEnum } from './common';
import { TAINT_EFFECTS } from './pod-spec';
import { RESOURCES } from '../../../../lib/api/resources';
import type { Taint, NodeStatus, Node } from '../../../../lib/api/types/core';
export type { Taint, NodeStatus, Node };

/** What a node offers defaults to what it has: allocatable is capacity when not given (SetDefaults_NodeStatus). */
function defaultNodeStatus(status: NodeStatus | undefined): void {
  if (isRecord(status) && status.allocatable === undefined && isRecord(status.capacity)) status.allocatable = { ...status.capacity };
}

const CIDR_RE = /^(\d{1,3}(\.\d{1,3}){3}\/\d{1,2}|[0-9a-fA-F:]+\/\d{1,3})$/;

function validateNode(obj: Node): FieldError[] {
  const errs: FieldError[] = [];
  const spec = obj.spec ?? {};
  const p = toPath('spec');
  const cidrs = spec.podCIDRs ?? (spec.podCIDR ? [spec.podCIDR] : []);
  cidrs.forEach((c, i) => {
    if (!CIDR_RE.test(c)) errs.push(invalid(p.child('podCIDRs').index(i), c, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'));
  });
  const seen = new Set<string>();
  for (const [t, tp] of objectItems(spec.taints, p.child('taints'), errs)) {
    if (!t.key) errs.push(required(tp.child('key')));
    else errs.push(...validateQualifiedName(t.key, tp.child('key')));
    if (t.value) errs.push(...validateLabelValue(t.value, tp.child('value')));
    if (!t.effect) errs.push(required(tp.child('effect')));
    else errs.push(...validateEnum(t.effect, TAINT_EFFECTS, tp.child('effect')));
    const id = `${t.key ?? ''}:${t.effect ?? ''}`;
    if (seen.has(id)) errs.push(invalid(tp, t, 'taints must be unique by key and effect pair'));
    seen.add(id);
  }
  const status = isRecord(obj.status) ? obj.status : {};
  for (const list of ['capacity', 'allocatable'] as const) {
    const lp = toPath('status').child(list);
    if (!checkMap(status[list], lp, errs)) continue;
    for (const [name, q] of Object.entries(status[list]!)) errs.push(...validateQuantity(q, lp.key(name), { nonNegative: true }));
  }
  return errs;
}

/**
 * Nodes (no; cluster-scoped): the node agent creates them with status; podCIDRs are CIDRs;
 * taints have a qualified key, a valid value, an effect, and are unique by key and effect;
 * status capacity and allocatable are non-negative quantities, allocatable defaulting to
 * capacity (on create and on status writes).
 */
export const nodeStrategy: Strategy<Node> = {
  info: RESOURCES.nodes,
  hasStatus: true,
  prepareForCreate(obj) {
    if (obj.spec?.podCIDR && !obj.spec.podCIDRs) obj.spec.podCIDRs = [obj.spec.podCIDR];
    defaultNodeStatus(obj.status);
  },
  prepareForUpdate(obj) {
    if (obj.spec?.podCIDR && !obj.spec.podCIDRs) obj.spec.podCIDRs = [obj.spec.podCIDR];
  },
  prepareForStatusUpdate(obj) {
    defaultNodeStatus(obj.status);
  },
  validate: validateNode,
  validateUpdate(obj, old) {
    const errs = validateNode(obj);
    // podCIDR may be set once, then stays.
    if (old.spec?.podCIDR && obj.spec?.podCIDR !== old.spec.podCIDR) {
      errs.push(invalid('spec.podCIDR', obj.spec?.podCIDR ?? '', 'node updates may not change podCIDR except from "" to valid'));
    }
    return errs;
  },
  specChanged: specDiffers,
  selectableFields(obj) {
    return { 'spec.unschedulable': String(obj.spec?.unschedulable ?? false) };
  },
};
