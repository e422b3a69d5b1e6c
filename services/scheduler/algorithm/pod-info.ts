/**
 * A pod compiled once for scheduling (kube-scheduler's framework.PodInfo): its requests, host
 * ports, node selection, tolerations, inter-pod (anti-)affinity terms and spread constraints,
 * parsed and checked, so filters and scores never parse in their hot loops. Compiling throws
 * MalformedObjectError for a pod the scheduler cannot read.
 */
import { BadRequestError } from '../../../lib/api/errors';
import { nothing, selectorFromLabelSelector, type LabelSelector, type Selector } from '../../../lib/api/label-selector';
import type { Container, Labels, Pod, PodAffinityTerm, Toleration, TopologySpreadConstraint, WeightedPodAffinityTerm } from './api-types';
import { arrayAt, integerAt, MalformedObjectError, recordAt, stringAt } from './malformed';
import { compilePodNodeSelection, type PodNodeSelection } from './node-selector';
import { computePodRequests, type Resources } from './resources';
import { parseTolerations } from './taints';

/** One host port a pod binds: protocol, host IP ("0.0.0.0" = every address) and port. */
export interface HostPort {
  readonly protocol: string;
  readonly ip: string;
  readonly port: number;
}

/** The host IP a port binds when none is given: every address. */
export const ANY_HOST_IP = '0.0.0.0';

/**
 * A compiled (anti-)affinity term: pods whose namespace is in `namespaces` or whose namespace's
 * labels match `namespaceSelector`, and whose labels match `selector`, in the topology domain
 * `topologyKey`. `weight` is 0 for required terms.
 */
export interface AffinityTerm {
  readonly selector: Selector;
  readonly namespaces: ReadonlySet<string>;
  readonly namespaceSelector: Selector;
  readonly topologyKey: string;
  readonly weight: number;
}

/** Whether `pod` (in a namespace labelled `nsLabels`) is one of the pods `term` selects. */
export function termMatches(term: AffinityTerm, pod: PodInfo, nsLabels: Labels | undefined): boolean {
  return (term.namespaces.has(pod.namespace) || term.namespaceSelector.matches(nsLabels)) && term.selector.matches(pod.labels);
}

/** How a spread constraint treats nodes the pod's node affinity or taints would exclude. */
export type NodeInclusionPolicy = 'Honor' | 'Ignore';

/** A compiled topology spread constraint (matchLabelKeys merged into the selector). */
export interface SpreadConstraint {
  readonly maxSkew: number;
  readonly topologyKey: string;
  readonly whenUnsatisfiable: 'DoNotSchedule' | 'ScheduleAnyway';
  readonly selector: Selector;
  readonly minDomains: number;
  readonly nodeAffinityPolicy: NodeInclusionPolicy;
  readonly nodeTaintsPolicy: NodeInclusionPolicy;
}

function labelSelector(ls: LabelSelector | null | undefined, field: string): Selector {
  try {
    return selectorFromLabelSelector(ls, field);
  } catch (err) {
    if (err instanceof BadRequestError) throw new MalformedObjectError(field, err.message);
    throw err;
  }
}

/** The pod's own label keys a term or constraint lists (matchLabelKeys, mismatchLabelKeys). */
function labelKeys(raw: unknown, field: string): string[] {
  return arrayAt<unknown>(raw, field).map((k, j) => stringAt(k, `${field}[${j}]`));
}

/**
 * `ls` narrowed by the pod's own labels (Kubernetes' matchLabelKeys / mismatchLabelKeys): for
 * each listed key the pod has, `key In [value]` (match) or `key NotIn [value]` (mismatch) is
 * ANDed in; keys the pod lacks are ignored. Nothing is merged into an absent selector (it
 * selects no pod either way). Merging an expression the apiserver already merged changes nothing.
 */
export function mergeLabelKeys(ls: LabelSelector | null | undefined, labels: Labels, matchKeys: readonly string[], mismatchKeys: readonly string[] = []): LabelSelector | null | undefined {
  if (!ls) return ls;
  const merged = [
    ...matchKeys.filter((k) => k in labels).map((key) => ({ key, operator: 'In' as const, values: [labels[key]!] })),
    ...mismatchKeys.filter((k) => k in labels).map((key) => ({ key, operator: 'NotIn' as const, values: [labels[key]!] })),
  ];
  if (merged.length === 0) return ls;
  return { matchLabels: ls.matchLabels, matchExpressions: [...(ls.matchExpressions ?? []), ...merged] };
}

function compileAffinityTerm(namespace: string, labels: Labels, term: PodAffinityTerm, field: string, weight: number): AffinityTerm {
  const t = recordAt<unknown>(term, field) as unknown as PodAffinityTerm;
  const topologyKey = stringAt(t.topologyKey, `${field}.topologyKey`);
  if (topologyKey === '') throw new MalformedObjectError(`${field}.topologyKey`, 'can not be empty');
  const namespaces = arrayAt<unknown>(t.namespaces, `${field}.namespaces`).map((n, i) => stringAt(n, `${field}.namespaces[${i}]`));
  const hasNsSelector = t.namespaceSelector !== undefined && t.namespaceSelector !== null;
  if (namespaces.length === 0 && !hasNsSelector) namespaces.push(namespace);
  return {
    selector: labelSelector(
      mergeLabelKeys(t.labelSelector, labels, labelKeys(t.matchLabelKeys, `${field}.matchLabelKeys`), labelKeys(t.mismatchLabelKeys, `${field}.mismatchLabelKeys`)),
      `${field}.labelSelector`,
    ),
    namespaces: new Set(namespaces),
    namespaceSelector: hasNsSelector ? labelSelector(t.namespaceSelector, `${field}.namespaceSelector`) : nothing(),
    topologyKey,
    weight,
  };
}

function compileTerms(namespace: string, labels: Labels, terms: unknown, field: string): AffinityTerm[] {
  return arrayAt<PodAffinityTerm>(terms, field).map((t, i) => compileAffinityTerm(namespace, labels, t, `${field}[${i}]`, 0));
}

function compileWeightedTerms(namespace: string, labels: Labels, terms: unknown, field: string): AffinityTerm[] {
  return arrayAt<WeightedPodAffinityTerm>(terms, field).map((t, i) => {
    const f = `${field}[${i}]`;
    return compileAffinityTerm(namespace, labels, recordAt<unknown>(t, f).podAffinityTerm as PodAffinityTerm, `${f}.podAffinityTerm`, integerAt(t?.weight, `${f}.weight`, 0));
  });
}

function policy(value: unknown, field: string, fallback: NodeInclusionPolicy): NodeInclusionPolicy {
  const v = stringAt(value, field, fallback);
  if (v !== 'Honor' && v !== 'Ignore') throw new MalformedObjectError(field, `unsupported policy "${v}"`);
  return v;
}

/** Compiles spec.topologySpreadConstraints with Kubernetes' defaults (minDomains 1, Honor/Ignore). */
export function compileSpreadConstraints(raw: unknown, labels: Labels, field = 'spec.topologySpreadConstraints'): SpreadConstraint[] {
  return arrayAt<TopologySpreadConstraint>(raw, field).map((c, i) => {
    const f = `${field}[${i}]`;
    const maxSkew = integerAt(c?.maxSkew, `${f}.maxSkew`, 0);
    if (maxSkew < 1) throw new MalformedObjectError(`${f}.maxSkew`, 'must be greater than zero');
    const topologyKey = stringAt(c?.topologyKey, `${f}.topologyKey`);
    if (topologyKey === '') throw new MalformedObjectError(`${f}.topologyKey`, 'can not be empty');
    const when = stringAt(c?.whenUnsatisfiable, `${f}.whenUnsatisfiable`);
    if (when !== 'DoNotSchedule' && when !== 'ScheduleAnyway') throw new MalformedObjectError(`${f}.whenUnsatisfiable`, `unsupported value "${when}"`);
    const ls = mergeLabelKeys(c?.labelSelector, labels, labelKeys(c?.matchLabelKeys, `${f}.matchLabelKeys`));
    return {
      maxSkew,
      topologyKey,
      whenUnsatisfiable: when,
      selector: labelSelector(ls, `${f}.labelSelector`),
      minDomains: integerAt(c?.minDomains, `${f}.minDomains`, 1),
      nodeAffinityPolicy: policy(c?.nodeAffinityPolicy, `${f}.nodeAffinityPolicy`, 'Honor'),
      nodeTaintsPolicy: policy(c?.nodeTaintsPolicy, `${f}.nodeTaintsPolicy`, 'Ignore'),
    };
  });
}

function hostPorts(containers: Container[], field: string): HostPort[] {
  const out: HostPort[] = [];
  containers.forEach((c, i) => {
    arrayAt<NonNullable<Container['ports']>[number]>(c?.ports, `${field}[${i}].ports`).forEach((p, j) => {
      const f = `${field}[${i}].ports[${j}]`;
      const port = integerAt(p?.hostPort, `${f}.hostPort`, 0);
      if (port <= 0) return;
      out.push({ protocol: stringAt(p.protocol, `${f}.protocol`, 'TCP') || 'TCP', ip: stringAt(p.hostIP, `${f}.hostIP`, ANY_HOST_IP) || ANY_HOST_IP, port });
    });
  });
  return out;
}

/** The default priority of a pod without spec.priority (no PriorityClass resolved). */
export const DEFAULT_POD_PRIORITY = 0;

/** A pod, compiled for scheduling. Immutable; `assumedOn` makes the copy placed on a node. */
export class PodInfo {
  /** `namespace/name`. */
  readonly key: string;
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  readonly labels: Labels;
  readonly priority: number;
  /** `Never` forbids this pod to preempt others. */
  readonly preemptionPolicy: string;
  readonly schedulerName: string;
  readonly nominatedNodeName: string;
  /** Deletion has started (a terminating pod still holds its room but is not counted for spreading). */
  readonly terminating: boolean;
  /** Creation time, epoch ms (queue order). */
  readonly creationMs: number;
  /** Start time (status.startTime, else creation), epoch ms (preemption prefers to spare older pods). */
  readonly startMs: number;
  readonly requests: Resources;
  /** Requests with the scoring defaults for containers that request nothing. */
  readonly nonZeroRequests: Resources;
  readonly hostPorts: readonly HostPort[];
  readonly nodeSelection: PodNodeSelection;
  readonly tolerations: readonly Toleration[];
  readonly requiredAffinityTerms: readonly AffinityTerm[];
  readonly requiredAntiAffinityTerms: readonly AffinityTerm[];
  readonly preferredAffinityTerms: readonly AffinityTerm[];
  readonly preferredAntiAffinityTerms: readonly AffinityTerm[];
  readonly spreadConstraints: readonly SpreadConstraint[];

  private constructor(
    readonly pod: Pod,
    /** spec.nodeName: the node the pod is bound (or assumed) to, "" when pending. */
    readonly nodeName: string,
  ) {
    const meta = recordAt<unknown>(pod?.metadata, 'metadata') as Pod['metadata'];
    this.namespace = stringAt(meta.namespace, 'metadata.namespace');
    this.name = stringAt(meta.name, 'metadata.name');
    this.key = `${this.namespace}/${this.name}`;
    this.uid = stringAt(meta.uid, 'metadata.uid');
    this.labels = Object.fromEntries(Object.entries(recordAt<unknown>(meta.labels, 'metadata.labels')).map(([k, v]) => [k, stringAt(v, `metadata.labels.${k}`)]));
    const spec = recordAt<unknown>(pod.spec, 'spec') as NonNullable<Pod['spec']>;
    const status = recordAt<unknown>(pod.status, 'status') as NonNullable<Pod['status']>;
    this.priority = integerAt(spec.priority, 'spec.priority', DEFAULT_POD_PRIORITY);
    this.preemptionPolicy = stringAt(spec.preemptionPolicy, 'spec.preemptionPolicy', 'PreemptLowerPriority');
    this.schedulerName = stringAt(spec.schedulerName, 'spec.schedulerName');
    this.nominatedNodeName = stringAt(status.nominatedNodeName, 'status.nominatedNodeName');
    this.terminating = !!meta.deletionTimestamp;
    this.creationMs = timeAt(meta.creationTimestamp);
    this.startMs = timeAt(status.startTime) || this.creationMs;
    const requests = computePodRequests(spec);
    this.requests = requests.requests;
    this.nonZeroRequests = requests.nonZero;
    const containers = arrayAt<Container>(spec.containers, 'spec.containers');
    const sidecars = arrayAt<Container>(spec.initContainers, 'spec.initContainers').filter((c) => c?.restartPolicy === 'Always');
    this.hostPorts = [...hostPorts(containers, 'spec.containers'), ...hostPorts(sidecars, 'spec.initContainers')];
    this.nodeSelection = compilePodNodeSelection(spec);
    this.tolerations = parseTolerations(spec.tolerations);
    const affinity = recordAt<unknown>(spec.affinity, 'spec.affinity') as NonNullable<NonNullable<Pod['spec']>['affinity']>;
    const pa = recordAt<unknown>(affinity.podAffinity, 'spec.affinity.podAffinity') as NonNullable<typeof affinity.podAffinity>;
    const paa = recordAt<unknown>(affinity.podAntiAffinity, 'spec.affinity.podAntiAffinity') as NonNullable<typeof affinity.podAntiAffinity>;
    const ns = this.namespace;
    this.requiredAffinityTerms = compileTerms(ns, this.labels, pa.requiredDuringSchedulingIgnoredDuringExecution, 'spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution');
    this.preferredAffinityTerms = compileWeightedTerms(ns, this.labels, pa.preferredDuringSchedulingIgnoredDuringExecution, 'spec.affinity.podAffinity.preferredDuringSchedulingIgnoredDuringExecution');
    this.requiredAntiAffinityTerms = compileTerms(ns, this.labels, paa.requiredDuringSchedulingIgnoredDuringExecution, 'spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution');
    this.preferredAntiAffinityTerms = compileWeightedTerms(ns, this.labels, paa.preferredDuringSchedulingIgnoredDuringExecution, 'spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution');
    this.spreadConstraints = compileSpreadConstraints(spec.topologySpreadConstraints, this.labels);
  }

  /** Compiles `pod`; throws MalformedObjectError when the scheduler cannot read it. */
  static of(pod: Pod): PodInfo {
    const nodeName = stringAt(recordAt<unknown>(pod?.spec, 'spec').nodeName, 'spec.nodeName');
    return new PodInfo(pod, nodeName);
  }

  /** The same pod placed on `nodeName` (the assumed copy kept while its binding is in flight). */
  assumedOn(nodeName: string): PodInfo {
    const pod: Pod = { ...this.pod, spec: { ...(this.pod.spec ?? {}), nodeName } };
    return Object.assign(Object.create(PodInfo.prototype) as PodInfo, this, { pod, nodeName });
  }

  /** The same pod nominated to `nodeName` (the scheduler's own nomination, before the API echoes it). */
  withNominatedNode(nodeName: string): PodInfo {
    return Object.assign(Object.create(PodInfo.prototype) as PodInfo, this, { nominatedNodeName: nodeName });
  }

  /** Whether the pod has any inter-pod affinity or anti-affinity term (required or preferred). */
  get hasAffinity(): boolean {
    return this.requiredAffinityTerms.length + this.requiredAntiAffinityTerms.length + this.preferredAffinityTerms.length + this.preferredAntiAffinityTerms.length > 0;
  }
}

function timeAt(value: unknown): number {
  if (typeof value !== 'string') return 0;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? 0 : ms;
}
