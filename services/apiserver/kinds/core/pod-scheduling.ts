import type { FieldError } from '../../../../lib/api/errors';
import { setOperatorValueErrors, validateLabelSelector, type LabelSelector } from '../../../../lib/api/label-selector';
import { validateQuantity } from '../../../../lib/api/quantity';
import {
  duplicate,
  forbidden,
  invalid,
  labelValueErrors,
  notSupported,
  qualifiedNameErrors,
  required,
  toPath,
  validateDns1123Label,
  validateDns1123Subdomain,
  validateQualifiedName,
  type PathLike,
} from '../../../../lib/api/validation';
import { PREEMPTION_POLICIES } from '../scheduling/priority-class';
import { checkMap, isRecord, objectItems, validateEnum } from './common';

/**
 * The scheduling parts of a PodSpec, validated as Kubernetes does (pkg/apis/core/validation):
 * node affinity, pod (anti-)affinity, topology spread constraints, readiness and scheduling
 * gates and overhead — what the scheduler reads, so it never meets a malformed term.
 */

type Json = Record<string, unknown>;

/** Operators of a node selector requirement. */
export const NODE_SELECTOR_OPERATORS: readonly string[] = ['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt'];
/** What the scheduler does with a pod that cannot satisfy a spread constraint. */
export const WHEN_UNSATISFIABLE: readonly string[] = ['DoNotSchedule', 'ScheduleAnyway'];
/** How a spread constraint treats node affinity and taints when counting domains. */
export const NODE_INCLUSION_POLICIES: readonly string[] = ['Honor', 'Ignore'];
/** Smallest and largest weight of a preferred term. */
export const MIN_TERM_WEIGHT = 1;
export const MAX_TERM_WEIGHT = 100;

const WEIGHT_ERROR = `must be in the range ${MIN_TERM_WEIGHT}-${MAX_TERM_WEIGHT}`;
const NOT_POSITIVE_ERROR = 'must be greater than zero';

function stringList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];
}

/** A label key (a qualified name) at `path`. */
function validateLabelKey(key: unknown, path: PathLike): FieldError[] {
  const k = typeof key === 'string' ? key : '';
  return qualifiedNameErrors(k).map((m) => invalid(path, key ?? '', m));
}

function validateNodeSelectorRequirement(rq: Json, path: PathLike): FieldError[] {
  const p = toPath(path);
  const errs: FieldError[] = [];
  const values = stringList(rq.values);
  const setErrors = setOperatorValueErrors(rq.operator, values, p);
  if (setErrors) errs.push(...setErrors);
  else if (rq.operator === 'Gt' || rq.operator === 'Lt') {
    if (values.length !== 1) errs.push(required(p.child('values'), "must be specified single value when `operator` is 'Lt' or 'Gt'"));
  } else {
    errs.push(invalid(p.child('operator'), rq.operator ?? '', 'not a valid selector operator'));
  }
  errs.push(...validateLabelKey(rq.key, p.child('key')));
  values.forEach((v, i) => errs.push(...labelValueErrors(v).map((m) => invalid(p.child('values').index(i), v, m))));
  return errs;
}

/** A node field selector: only metadata.name, with In or NotIn and exactly one node name. */
function validateNodeFieldSelectorRequirement(rq: Json, path: PathLike): FieldError[] {
  const p = toPath(path);
  const errs: FieldError[] = [];
  const values = stringList(rq.values);
  if (rq.operator === 'In' || rq.operator === 'NotIn') {
    if (values.length !== 1) errs.push(required(p.child('values'), "must be only one value when `operator` is 'In' or 'NotIn' for node field selector"));
  } else {
    errs.push(invalid(p.child('operator'), rq.operator ?? '', 'not a valid selector operator'));
  }
  if (rq.key !== 'metadata.name') errs.push(invalid(p.child('key'), rq.key ?? '', 'not a valid field selector key'));
  else values.forEach((v, i) => errs.push(...validateDns1123Subdomain(v, p.child('values').index(i))));
  return errs;
}

function validateNodeSelectorTerm(term: Json, path: PathLike): FieldError[] {
  const p = toPath(path);
  const errs: FieldError[] = [];
  for (const [rq, rp] of objectItems(term.matchExpressions as Json[] | undefined, p.child('matchExpressions'), errs)) errs.push(...validateNodeSelectorRequirement(rq, rp));
  for (const [rq, rp] of objectItems(term.matchFields as Json[] | undefined, p.child('matchFields'), errs)) errs.push(...validateNodeFieldSelectorRequirement(rq, rp));
  return errs;
}

function validateWeight(weight: unknown, path: PathLike): FieldError[] {
  return typeof weight === 'number' && weight >= MIN_TERM_WEIGHT && weight <= MAX_TERM_WEIGHT ? [] : [invalid(path, weight ?? 0, WEIGHT_ERROR)];
}

function validateNodeAffinity(na: Json, path: PathLike): FieldError[] {
  const p = toPath(path);
  const errs: FieldError[] = [];
  const requiredTerms = na.requiredDuringSchedulingIgnoredDuringExecution;
  if (isRecord(requiredTerms)) {
    const tp = p.child('requiredDuringSchedulingIgnoredDuringExecution', 'nodeSelectorTerms');
    const terms = objectItems(requiredTerms.nodeSelectorTerms as Json[] | undefined, tp, errs);
    if (!Array.isArray(requiredTerms.nodeSelectorTerms) || requiredTerms.nodeSelectorTerms.length === 0) errs.push(required(tp, 'must have at least one node selector term'));
    for (const [term, termPath] of terms) errs.push(...validateNodeSelectorTerm(term, termPath));
  }
  const preferred = objectItems(na.preferredDuringSchedulingIgnoredDuringExecution as Json[] | undefined, p.child('preferredDuringSchedulingIgnoredDuringExecution'), errs);
  for (const [term, termPath] of preferred) {
    errs.push(...validateWeight(term.weight, termPath.child('weight')));
    errs.push(...validateNodeSelectorTerm(isRecord(term.preference) ? term.preference : {}, termPath.child('preference')));
  }
  return errs;
}

/** A label selector field of `holder` at `path`, when it is an object. */
function validateSelectorField(holder: Json, field: string, path: PathLike, errs: FieldError[]): void {
  const value = holder[field];
  if (value === undefined || value === null) return;
  if (!isRecord(value)) errs.push(invalid(toPath(path).child(field), value, 'must be an object'));
  else errs.push(...validateLabelSelector(value as LabelSelector, toPath(path).child(field)));
}

/** A topology key: required, a label key. */
function validateTopologyKey(key: unknown, path: PathLike): FieldError[] {
  if (typeof key !== 'string' || key === '') return [required(path, 'can not be empty')];
  return validateLabelKey(key, path);
}

function validatePodAffinityTerm(term: Json, path: PathLike): FieldError[] {
  const p = toPath(path);
  const errs: FieldError[] = [];
  validateSelectorField(term, 'labelSelector', p, errs);
  validateSelectorField(term, 'namespaceSelector', p, errs);
  for (const ns of stringList(term.namespaces)) errs.push(...validateDns1123Label(ns, p.child('namespace')));
  errs.push(...validateTopologyKey(term.topologyKey, p.child('topologyKey')));
  return errs;
}

function validatePodAffinity(pa: Json, path: PathLike): FieldError[] {
  const p = toPath(path);
  const errs: FieldError[] = [];
  for (const [term, tp] of objectItems(pa.requiredDuringSchedulingIgnoredDuringExecution as Json[] | undefined, p.child('requiredDuringSchedulingIgnoredDuringExecution'), errs)) {
    errs.push(...validatePodAffinityTerm(term, tp));
  }
  for (const [term, tp] of objectItems(pa.preferredDuringSchedulingIgnoredDuringExecution as Json[] | undefined, p.child('preferredDuringSchedulingIgnoredDuringExecution'), errs)) {
    errs.push(...validateWeight(term.weight, tp.child('weight')));
    errs.push(...validatePodAffinityTerm(isRecord(term.podAffinityTerm) ? term.podAffinityTerm : {}, tp.child('podAffinityTerm')));
  }
  return errs;
}

function validateTopologySpreadConstraints(list: unknown, path: PathLike): FieldError[] {
  const errs: FieldError[] = [];
  const items = objectItems(list as Json[] | undefined, path, errs);
  items.forEach(([c, cp], i) => {
    if (typeof c.maxSkew !== 'number' || c.maxSkew <= 0) errs.push(invalid(cp.child('maxSkew'), c.maxSkew ?? 0, NOT_POSITIVE_ERROR));
    errs.push(...validateTopologyKey(c.topologyKey, cp.child('topologyKey')));
    if (!WHEN_UNSATISFIABLE.includes(c.whenUnsatisfiable as string)) errs.push(notSupported(cp.child('whenUnsatisfiable'), c.whenUnsatisfiable ?? '', WHEN_UNSATISFIABLE));
    const repeated = items.slice(i + 1).some(([other]) => other.topologyKey === c.topologyKey && other.whenUnsatisfiable === c.whenUnsatisfiable);
    if (repeated) errs.push(duplicate(cp.child('{topologyKey, whenUnsatisfiable}'), `{${String(c.topologyKey)}, ${String(c.whenUnsatisfiable)}}`));
    if (c.minDomains !== undefined && c.minDomains !== null) {
      if (typeof c.minDomains !== 'number' || c.minDomains <= 0) errs.push(invalid(cp.child('minDomains'), c.minDomains, NOT_POSITIVE_ERROR));
      else if (c.whenUnsatisfiable !== 'DoNotSchedule') {
        errs.push(invalid(cp.child('minDomains'), c.minDomains, `can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ${String(c.whenUnsatisfiable)}`));
      }
    }
    errs.push(...validateEnum(c.nodeAffinityPolicy, NODE_INCLUSION_POLICIES, cp.child('nodeAffinityPolicy')));
    errs.push(...validateEnum(c.nodeTaintsPolicy, NODE_INCLUSION_POLICIES, cp.child('nodeTaintsPolicy')));
    validateSelectorField(c, 'labelSelector', cp, errs);
  });
  return errs;
}

/**
 * Every invalid scheduling field of the PodSpec `spec` at `path`: affinity (node selector terms,
 * operators and values, weights 1-100, topology keys, label selectors), topologySpreadConstraints
 * (maxSkew > 0, topologyKey, whenUnsatisfiable, unique {topologyKey, whenUnsatisfiable},
 * minDomains only with DoNotSchedule, inclusion policies), readinessGates and schedulingGates
 * (qualified names, gates unique), overhead (non-negative quantities), priorityClassName (a DNS
 * subdomain) and preemptionPolicy (PreemptLowerPriority or Never). Tolerations are checked
 * with the rest of the spec.
 */
export function validatePodScheduling(spec: Json, path: PathLike): FieldError[] {
  const p = toPath(path);
  const errs: FieldError[] = [];
  const affinity = spec.affinity;
  if (isRecord(affinity)) {
    const ap = p.child('affinity');
    if (isRecord(affinity.nodeAffinity)) errs.push(...validateNodeAffinity(affinity.nodeAffinity, ap.child('nodeAffinity')));
    if (isRecord(affinity.podAffinity)) errs.push(...validatePodAffinity(affinity.podAffinity, ap.child('podAffinity')));
    if (isRecord(affinity.podAntiAffinity)) errs.push(...validatePodAffinity(affinity.podAntiAffinity, ap.child('podAntiAffinity')));
  }
  errs.push(...validateTopologySpreadConstraints(spec.topologySpreadConstraints, p.child('topologySpreadConstraints')));
  for (const [gate, gp] of objectItems(spec.readinessGates as Json[] | undefined, p.child('readinessGates'), errs)) {
    errs.push(...validateQualifiedName(typeof gate.conditionType === 'string' ? gate.conditionType : '', gp.child('conditionType')));
  }
  const gates = new Set<string>();
  for (const [gate, gp] of objectItems(spec.schedulingGates as Json[] | undefined, p.child('schedulingGates'), errs)) {
    const name = typeof gate.name === 'string' ? gate.name : '';
    errs.push(...validateQualifiedName(name, gp));
    if (gates.has(name)) errs.push(duplicate(gp, name));
    gates.add(name);
  }
  if (gates.size > 0 && spec.nodeName) errs.push(forbidden(p.child('nodeName'), 'cannot be set until all schedulingGates have been cleared'));
  if (checkMap(spec.overhead, p.child('overhead'), errs)) {
    for (const [name, q] of Object.entries(spec.overhead as Json)) errs.push(...validateQuantity(q, p.child('overhead').key(name), { nonNegative: true }));
  }
  if (typeof spec.priorityClassName === 'string' && spec.priorityClassName !== '') errs.push(...validateDns1123Subdomain(spec.priorityClassName, p.child('priorityClassName')));
  errs.push(...validateEnum(spec.preemptionPolicy, PREEMPTION_POLICIES, p.child('preemptionPolicy')));
  return errs;
}

/** The names of a pod's scheduling gates. */
export function schedulingGateNames(spec: Json): string[] {
  return (Array.isArray(spec.schedulingGates) ? spec.schedulingGates : []).map((g) => (isRecord(g) && typeof g.name === 'string' ? g.name : ''));
}

/**
 * An update may only remove scheduling gates: `Forbidden` at each gate of `next` that `prev`
 * did not have (Kubernetes' validateOnlyDeletedSchedulingGates).
 */
export function validateSchedulingGatesUpdate(next: Json, prev: Json, path: PathLike): FieldError[] {
  const old = new Set(schedulingGateNames(prev));
  const p = toPath(path).child('schedulingGates');
  return schedulingGateNames(next).flatMap((name, i) =>
    old.has(name) ? [] : [forbidden(p.index(i).child('name'), `only deletion is allowed, but found new scheduling gate '${name}'`)]);
}
