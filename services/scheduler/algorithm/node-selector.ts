/**
 * Node selection by labels and fields, as Kubernetes' component-helpers nodeaffinity: a pod's
 * spec.nodeSelector (every key=value must match) ANDed with its required node affinity (terms
 * ORed; the requirements of a term ANDed; a term with no requirement matches nothing), and the
 * preferred terms with their weights. Operators In, NotIn, Exists, DoesNotExist, Gt, Lt on
 * labels; In and NotIn on the field metadata.name.
 */
import type { Labels, NodeSelectorRequirement, NodeSelectorTerm, PodSpec } from './api-types';
import { arrayAt, integerAt, MalformedObjectError, recordAt, stringAt } from './malformed';

/** What node selection looks at. */
export interface NodeIdentity {
  readonly name: string;
  readonly labels: Labels;
}

/** A compiled predicate over nodes. */
export type NodeMatcher = (node: NodeIdentity) => boolean;

/** The only field a node selector term may select on. */
export const NODE_FIELD_NAME = 'metadata.name';

const INTEGER_RE = /^-?\d+$/;

function compileRequirement(r: NodeSelectorRequirement, field: string, onField: boolean): NodeMatcher {
  const key = stringAt(r?.key, `${field}.key`);
  const values = arrayAt<unknown>(r?.values, `${field}.values`).map((v, i) => stringAt(v, `${field}.values[${i}]`));
  const read = onField ? (n: NodeIdentity) => (key === NODE_FIELD_NAME ? n.name : undefined) : (n: NodeIdentity) => n.labels[key];
  if (onField && key !== NODE_FIELD_NAME) throw new MalformedObjectError(`${field}.key`, `unsupported field "${key}"; only ${NODE_FIELD_NAME}`);
  const set = new Set(values);
  switch (r.operator) {
    case 'In':
      return (n) => {
        const v = read(n);
        return v !== undefined && set.has(v);
      };
    case 'NotIn':
      return (n) => {
        const v = read(n);
        return v === undefined || !set.has(v);
      };
    case 'Exists':
      if (onField) break;
      return (n) => read(n) !== undefined;
    case 'DoesNotExist':
      if (onField) break;
      return (n) => read(n) === undefined;
    case 'Gt':
    case 'Lt': {
      if (onField) break;
      if (values.length !== 1 || !INTEGER_RE.test(values[0]!)) throw new MalformedObjectError(`${field}.values`, `operator ${r.operator} needs exactly one integer value`);
      const bound = Number(values[0]);
      const gt = r.operator === 'Gt';
      return (n) => {
        const v = read(n);
        if (v === undefined || !INTEGER_RE.test(v)) return false;
        return gt ? Number(v) > bound : Number(v) < bound;
      };
    }
  }
  throw new MalformedObjectError(`${field}.operator`, `unsupported operator "${String(r?.operator)}"`);
}

/** Compiles one term; a term with no requirements matches no node. */
export function compileNodeSelectorTerm(term: NodeSelectorTerm, field: string): NodeMatcher {
  const t = recordAt<unknown>(term, field) as NodeSelectorTerm;
  const matchers = [
    ...arrayAt<NodeSelectorRequirement>(t.matchExpressions, `${field}.matchExpressions`).map((r, i) => compileRequirement(r, `${field}.matchExpressions[${i}]`, false)),
    ...arrayAt<NodeSelectorRequirement>(t.matchFields, `${field}.matchFields`).map((r, i) => compileRequirement(r, `${field}.matchFields[${i}]`, true)),
  ];
  if (matchers.length === 0) return () => false;
  return (n) => matchers.every((m) => m(n));
}

/** A preferred scheduling term. */
export interface WeightedNodeMatcher {
  readonly weight: number;
  readonly matches: NodeMatcher;
}

/** A pod's node selection, compiled. `required` is undefined when the pod constrains nothing. */
export interface PodNodeSelection {
  readonly required: NodeMatcher | undefined;
  readonly preferred: readonly WeightedNodeMatcher[];
}

const AFFINITY = 'spec.affinity.nodeAffinity';

/** Compiles spec.nodeSelector and spec.affinity.nodeAffinity; throws MalformedObjectError. */
export function compilePodNodeSelection(spec: PodSpec): PodNodeSelection {
  const parts: NodeMatcher[] = [];
  const selector = Object.entries(recordAt<unknown>(spec.nodeSelector, 'spec.nodeSelector')).map(([k, v]) => [k, stringAt(v, `spec.nodeSelector.${k}`)] as const);
  if (selector.length > 0) parts.push((n) => selector.every(([k, v]) => n.labels[k] === v));
  const nodeAffinity = recordAt<unknown>(recordAt<unknown>(spec.affinity, 'spec.affinity').nodeAffinity, AFFINITY) as NonNullable<NonNullable<PodSpec['affinity']>['nodeAffinity']>;
  const required = nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution;
  if (required !== undefined && required !== null) {
    const field = `${AFFINITY}.requiredDuringSchedulingIgnoredDuringExecution`;
    const terms = arrayAt<NodeSelectorTerm>(recordAt<unknown>(required, field).nodeSelectorTerms, `${field}.nodeSelectorTerms`).map((t, i) =>
      compileNodeSelectorTerm(t, `${field}.nodeSelectorTerms[${i}]`),
    );
    parts.push((n) => terms.some((t) => t(n)));
  }
  const preferredField = `${AFFINITY}.preferredDuringSchedulingIgnoredDuringExecution`;
  const preferred = arrayAt<{ weight: number; preference: NodeSelectorTerm }>(nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution, preferredField).map((p, i) => ({
    weight: integerAt(p?.weight, `${preferredField}[${i}].weight`, 0),
    matches: compileNodeSelectorTerm(p?.preference, `${preferredField}[${i}].preference`),
  }));
  const requiredMatcher = parts.length === 0 ? undefined : parts.length === 1 ? parts[0] : (n: NodeIdentity) => parts.every((p) => p(n));
  return { required: requiredMatcher, preferred };
}
