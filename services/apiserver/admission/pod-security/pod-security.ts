/**
 * Kubernetes' PodSecurity admission: each namespace's labels choose a Pod Security Standards
 * level (privileged, baseline, restricted) per mode (see namespace-policy.ts):
 * - enforce: a pod that fails the level is refused, 403 `pods "x" is forbidden: violates
 *   PodSecurity "restricted:latest": …`;
 * - warn: the write goes through with a warning `would violate PodSecurity "…": …`, which
 *   kubectl prints as `Warning: …` — for pods and for the pod templates of workload objects
 *   (Deployments, Jobs, …), so a user learns before the controller's pods are refused;
 * - audit: the same text as the audit annotation `pod-security.kubernetes.io/audit-violations`.
 * Namespace labels are validated on create and on update (a change to an invalid value is
 * refused with 422); tightening the enforce level warns about the existing pods that would fail
 * it. A pod update is checked only when it changes what the checks look at (containers, images,
 * security contexts), as Kubernetes does, so labelling or finishing a pod is never refused.
 */
import { InvalidError } from '../../../../lib/api/errors';
import type { KubeObject, ObjectMeta, ResourceInfo } from '../../../../lib/api/object';
import type { Namespace, Pod, PodSpec } from '../../../../lib/api/types/core';
import { addRequestAuditAnnotation, addRequestWarning } from '../../authn/request-user';
import { admissionForbidden, isResource, type AdmissionPlugin } from '../admission';
import { namespacePolicy, policyName, type LevelVersion, type NamespacePolicy } from './namespace-policy';
import { describeViolations, podSecurityViolations, POD_SECURITY_LEVELS } from './pod-security-checks';

/** The audit annotation of a request whose pod would fail the audit level. */
export const AUDIT_VIOLATIONS_ANNOTATION = 'pod-security.kubernetes.io/audit-violations';

/** Workload resources (group/resource) and where their pod template sits. */
const POD_TEMPLATE_PATHS: ReadonlyMap<string, readonly string[]> = new Map([
  ['apps/deployments', ['spec', 'template']],
  ['apps/replicasets', ['spec', 'template']],
  ['apps/statefulsets', ['spec', 'template']],
  ['apps/daemonsets', ['spec', 'template']],
  ['/replicationcontrollers', ['spec', 'template']],
  ['batch/jobs', ['spec', 'template']],
  ['batch/cronjobs', ['spec', 'jobTemplate', 'spec', 'template']],
  ['/podtemplates', ['template']],
]);

/** What the plugin reads: a namespace (cache, then store) and the pods a namespace holds now. */
export interface PodSecurityLookups {
  namespace(name: string): Promise<Namespace | undefined>;
  pods(namespace: string): Promise<Pod[]>;
}

/** At most this many existing pods are checked when a namespace's enforce level tightens. */
const MAX_EXISTING_PODS_CHECKED = 3000;

interface PodParts {
  meta: ObjectMeta;
  spec: PodSpec;
}

export class PodSecurityAdmission implements AdmissionPlugin {
  constructor(private readonly lookups: PodSecurityLookups) {}

  async admitCreate(info: ResourceInfo, namespace: string | undefined, obj: KubeObject): Promise<void> {
    if (isResource(info, '', 'namespaces')) return this.validateLabels(obj);
    if (!namespace) return;
    if (isResource(info, '', 'pods')) return this.admitPod(info, namespace, obj, { meta: obj.metadata, spec: (obj as Pod).spec ?? {} });
    const template = templateOf(info, obj);
    if (template) await this.warnAndAudit(namespace, template);
  }

  async admitUpdate(info: ResourceInfo, namespace: string | undefined, obj: KubeObject, old: KubeObject): Promise<void> {
    if (isResource(info, '', 'namespaces')) return this.admitNamespaceUpdate(obj as Namespace, old as Namespace);
    if (!namespace) return;
    if (isResource(info, '', 'pods')) {
      const spec = (obj as Pod).spec ?? {};
      if (!significantPodUpdate(spec, (old as Pod).spec ?? {})) return;
      return this.admitPod(info, namespace, obj, { meta: obj.metadata, spec });
    }
    const template = templateOf(info, obj);
    const oldTemplate = templateOf(info, old);
    if (template && JSON.stringify(template.spec) !== JSON.stringify(oldTemplate?.spec)) await this.warnAndAudit(namespace, template);
  }

  private validateLabels(obj: KubeObject): void {
    const { errors } = namespacePolicy(obj.metadata.labels);
    if (errors.length > 0) throw new InvalidError('Namespace', '', obj.metadata.name ?? '', errors);
  }

  private async admitNamespaceUpdate(ns: Namespace, old: Namespace): Promise<void> {
    const now = namespacePolicy(ns.metadata.labels);
    const before = namespacePolicy(old.metadata.labels);
    // A label that was already invalid may stay; a change to an invalid one may not.
    if (now.errors.length > 0 && JSON.stringify(now.errors) !== JSON.stringify(before.errors)) throw new InvalidError('Namespace', '', ns.metadata.name ?? '', now.errors);
    const enforce = now.policy.enforce;
    const previous = before.policy.enforce;
    const tighter = enforce.version !== previous.version || POD_SECURITY_LEVELS.indexOf(enforce.level) > POD_SECURITY_LEVELS.indexOf(previous.level);
    if (enforce.level === 'privileged' || (enforce.level === previous.level && enforce.version === previous.version) || !tighter) return;
    for (const w of await this.existingPodWarnings(ns.metadata.name ?? '', enforce)) addRequestWarning(w);
  }

  /** Kubernetes' warnings for the pods of a namespace whose enforce level tightened: one per distinct failure, naming the first pod and how many more. */
  private async existingPodWarnings(namespace: string, enforce: LevelVersion): Promise<string[]> {
    const pods = (await this.lookups.pods(namespace)).sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1));
    const checked = pods.slice(0, MAX_EXISTING_PODS_CHECKED);
    const byReason = new Map<string, { first: string; count: number }>();
    for (const pod of checked) {
      const violations = podSecurityViolations(enforce.level, pod.metadata, pod.spec ?? {});
      if (violations.length === 0) continue;
      const reason = violations.map((v) => v.reason).join(', ');
      const seen = byReason.get(reason);
      if (seen) seen.count++;
      else byReason.set(reason, { first: pod.metadata.name ?? '', count: 1 });
    }
    if (byReason.size === 0) return [];
    const warnings = checked.length < pods.length ? [`new PodSecurity enforce level only checked against the first ${checked.length} of ${pods.length} existing pods`] : [];
    warnings.push(`existing pods in namespace ${JSON.stringify(namespace)} violate the new PodSecurity enforce level ${JSON.stringify(policyName(enforce))}`);
    for (const [reason, { first, count }] of [...byReason].sort(([a], [b]) => (a < b ? -1 : 1))) {
      warnings.push(`${first}${count > 1 ? ` (and ${count - 1} other pod${count > 2 ? 's' : ''})` : ''}: ${reason}`);
    }
    return warnings;
  }

  private async admitPod(info: ResourceInfo, namespace: string, obj: KubeObject, pod: PodParts): Promise<void> {
    const policy = await this.policyOf(namespace);
    if (!policy) return;
    const enforce = podSecurityViolations(policy.enforce.level, pod.meta, pod.spec);
    if (enforce.length > 0) throw admissionForbidden(info, obj, `violates PodSecurity ${JSON.stringify(policyName(policy.enforce))}: ${describeViolations(enforce)}`);
    this.warnAndAuditWith(policy, pod);
  }

  private async warnAndAudit(namespace: string, pod: PodParts): Promise<void> {
    const policy = await this.policyOf(namespace);
    if (policy) this.warnAndAuditWith(policy, pod);
  }

  private warnAndAuditWith(policy: NamespacePolicy, pod: PodParts): void {
    const warn = podSecurityViolations(policy.warn.level, pod.meta, pod.spec);
    if (warn.length > 0) addRequestWarning(`would violate PodSecurity ${JSON.stringify(policyName(policy.warn))}: ${describeViolations(warn)}`);
    const audit = podSecurityViolations(policy.audit.level, pod.meta, pod.spec);
    if (audit.length > 0) addRequestAuditAnnotation(AUDIT_VIOLATIONS_ANNOTATION, `would violate PodSecurity ${JSON.stringify(policyName(policy.audit))}: ${describeViolations(audit)}`);
  }

  /** The namespace's policy; undefined when every mode is privileged (nothing to check) or the namespace is unknown. */
  private async policyOf(namespace: string): Promise<NamespacePolicy | undefined> {
    const ns = await this.lookups.namespace(namespace);
    if (!ns) return undefined;
    const { policy } = namespacePolicy(ns.metadata.labels);
    return policy.enforce.level === 'privileged' && policy.warn.level === 'privileged' && policy.audit.level === 'privileged' ? undefined : policy;
  }
}

/** The pod template of a workload object, or undefined for other kinds (or an object without one). */
function templateOf(info: ResourceInfo, obj: KubeObject): PodParts | undefined {
  const path = POD_TEMPLATE_PATHS.get(`${info.group}/${info.resource}`);
  if (!path) return undefined;
  let at: unknown = obj;
  for (const key of path) at = at && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined;
  if (!at || typeof at !== 'object') return undefined;
  const template = at as { metadata?: ObjectMeta; spec?: PodSpec };
  return { meta: template.metadata ?? {}, spec: template.spec ?? {} };
}

/** Whether a pod update changes what the checks look at: its containers, their images or security contexts, or the pod's. */
function significantPodUpdate(spec: PodSpec, old: PodSpec): boolean {
  const relevant = (s: PodSpec) => {
    const containers = (list: unknown) => ((list ?? []) as { name?: string; image?: string; securityContext?: unknown }[]).map((c) => [c.name, c.image, c.securityContext]);
    return JSON.stringify([containers(s.initContainers), containers(s.containers), containers((s as { ephemeralContainers?: unknown }).ephemeralContainers), s.securityContext]);
  };
  return relevant(spec) !== relevant(old);
}
