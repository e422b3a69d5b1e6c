import type { FieldError } from '../../../../lib/api/errors';
import { compareQuantities, isQuantity, validateQuantity } from '../../../../lib/api/quantity';
import {
  duplicate,
  forbidden,
  invalid,
  required,
  toPath,
  validateAnnotations,
  validateDns1123Label,
  validateDns1123Subdomain,
  validateLabels,
  type PathLike,
} from '../../../../lib/api/validation';
import { PROTOCOLS, isObject, isRecord, notFound, objectItems, validateEnum, validateNonNegative, validatePortName, validatePortNumber } from './common';
import { validatePodScheduling, validateSchedulingGatesUpdate } from './pod-scheduling';
import { defaultFieldRef, defaultPodVolume, validatePodVolumeSource } from './pod-volumes';
import type { ContainerPort, EnvVar, ResourceRequirements, VolumeMount, Container, Volume, Toleration, PodSpec, PodTemplateSpec } from '../../../../lib/api/types/core';
export type { ContainerPort, EnvVar, ResourceRequirements, VolumeMount, Container, Volume, Toleration, PodSpec, PodTemplateSpec };

/**
 * PodSpec defaulting and validation as Kubernetes does them (pkg/apis/core/v1/defaults.go and
 * pkg/apis/core/validation), shared by Pods and by the pod templates of apps/batch kinds.
 */

/** Default grace period before a pod's containers are killed, in seconds. */
export const DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS = 30;
export const RESTART_POLICIES: readonly string[] = ['Always', 'OnFailure', 'Never'];
export const DNS_POLICIES: readonly string[] = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
export const PULL_POLICIES: readonly string[] = ['Always', 'IfNotPresent', 'Never'];
export const TERMINATION_MESSAGE_POLICIES: readonly string[] = ['File', 'FallbackToLogsOnError'];
export const TOLERATION_OPERATORS: readonly string[] = ['Exists', 'Equal'];
export const TAINT_EFFECTS: readonly string[] = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
const ENV_VAR_NAME_FMT = '[-._a-zA-Z][-._a-zA-Z0-9]*';
const ENV_VAR_NAME_RE = new RegExp(`^${ENV_VAR_NAME_FMT}$`);

/** Always for an image tagged ":latest" or untagged (and not pinned by digest), else IfNotPresent. */
export function defaultPullPolicy(image: string | undefined): string {
  if (!image) return 'IfNotPresent';
  if (image.includes('@')) return 'IfNotPresent';
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const colon = lastSegment.lastIndexOf(':');
  if (colon < 0) return 'Always';
  return lastSegment.slice(colon + 1) === 'latest' ? 'Always' : 'IfNotPresent';
}

/** An httpGet action's defaults: path "/", scheme HTTP (Kubernetes' SetDefaults_HTTPGetAction). */
function defaultHttpGet(handler: unknown): void {
  if (!isRecord(handler) || !isRecord(handler.httpGet)) return;
  if (!handler.httpGet.path) handler.httpGet.path = '/';
  if (!handler.httpGet.scheme) handler.httpGet.scheme = 'HTTP';
}

/** A probe's defaults: timeout 1 s, period 10 s, success 1, failure 3, plus its httpGet defaults. */
function defaultProbe(probe: unknown): void {
  if (!isRecord(probe)) return;
  probe.timeoutSeconds ??= 1;
  probe.periodSeconds ??= 10;
  probe.successThreshold ??= 1;
  probe.failureThreshold ??= 3;
  if (isRecord(probe.grpc)) probe.grpc.service ??= '';
  defaultHttpGet(probe);
}

function defaultContainer(c: Container): void {
  if (!isRecord(c)) return;
  for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe]) defaultProbe(probe);
  if (isRecord(c.lifecycle)) for (const handler of [c.lifecycle.postStart, c.lifecycle.preStop]) defaultHttpGet(handler);
  c.imagePullPolicy ??= defaultPullPolicy(c.image);
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  for (const p of Array.isArray(c.ports) ? c.ports : []) if (isRecord(p)) p.protocol ??= 'TCP';
  for (const e of Array.isArray(c.env) ? c.env : []) if (isRecord(e)) defaultFieldRef(e.valueFrom);
  c.resources ??= {};
  if (!isRecord(c.resources)) return;
  // Kubernetes copies limits into missing requests.
  const limits = c.resources.limits;
  if (isRecord(limits) && Object.keys(limits).length > 0) {
    const requests = (c.resources.requests ??= {});
    if (!isRecord(requests)) return;
    for (const [k, v] of Object.entries(limits)) if (!(k in requests)) requests[k] = v;
  }
}

/**
 * Fills Kubernetes' PodSpec defaults in place: restartPolicy Always, dnsPolicy ClusterFirst,
 * terminationGracePeriodSeconds 30, schedulerName default-scheduler, securityContext {},
 * enableServiceLinks true, serviceAccount mirrored from serviceAccountName, and per container
 * (init and ephemeral ones too) imagePullPolicy, terminationMessagePath/Policy, ports' protocol
 * TCP, env fieldRefs' apiVersion v1, resources {} (requests defaulted from limits), probe timings
 * and thresholds, grpc service "" and httpGet path/scheme (probes and lifecycle handlers);
 * volumes get their defaults (see defaultPodVolume) and an image volume its pullPolicy.
 */
export function defaultPodSpec(spec: PodSpec): void {
  if (!isRecord(spec)) return;
  spec.restartPolicy ??= 'Always';
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.terminationGracePeriodSeconds ??= DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS;
  spec.schedulerName ??= 'default-scheduler';
  spec.securityContext ??= {};
  spec.enableServiceLinks ??= true;
  // The deprecated serviceAccount field mirrors serviceAccountName (either may be sent).
  if (!spec.serviceAccountName && spec.serviceAccount) spec.serviceAccountName = spec.serviceAccount;
  if (spec.serviceAccountName) spec.serviceAccount = spec.serviceAccountName;
  if (Array.isArray(spec.containers)) spec.containers.forEach(defaultContainer);
  if (Array.isArray(spec.initContainers)) spec.initContainers.forEach(defaultContainer);
  if (Array.isArray(spec.ephemeralContainers)) (spec.ephemeralContainers as Container[]).forEach(defaultContainer);
  for (const v of Array.isArray(spec.volumes) ? spec.volumes : []) {
    if (!isRecord(v)) continue;
    defaultPodVolume(v);
    if (isRecord(v.image)) v.image.pullPolicy ??= defaultPullPolicy(typeof v.image.reference === 'string' ? v.image.reference : undefined);
  }
}

function validateResources(r: ResourceRequirements | undefined, path: PathLike): FieldError[] {
  const p = toPath(path);
  const errs: FieldError[] = [];
  if (!r) return errs;
  for (const part of ['limits', 'requests'] as const) {
    for (const [k, v] of Object.entries(r[part] ?? {})) errs.push(...validateQuantity(v, p.child(part).key(k), { nonNegative: true }));
  }
  for (const [k, req] of Object.entries(r.requests ?? {})) {
    const lim = r.limits?.[k];
    if (lim === undefined || !isQuantity(String(req)) || !isQuantity(String(lim))) continue;
    if (compareQuantities(String(req), String(lim)) > 0) {
      errs.push(invalid(p.child('requests'), req, `must be less than or equal to ${k} limit of ${lim}`));
    }
  }
  return errs;
}

function validateContainer(c: Container, path: PathLike, volumes: Set<string>, names: Set<string>): FieldError[] {
  const p = toPath(path);
  const errs: FieldError[] = [];
  if (!c.name) errs.push(required(p.child('name')));
  else {
    errs.push(...validateDns1123Label(c.name, p.child('name')));
    if (names.has(c.name)) errs.push(duplicate(p.child('name'), c.name));
    names.add(c.name);
  }
  if (!c.image || (typeof c.image === 'string' && c.image.trim() === '')) errs.push(required(p.child('image')));
  errs.push(...validateEnum(c.imagePullPolicy, PULL_POLICIES, p.child('imagePullPolicy')));
  errs.push(...validateEnum(c.terminationMessagePolicy, TERMINATION_MESSAGE_POLICIES, p.child('terminationMessagePolicy')));
  const portNames = new Set<string>();
  for (const [port, pp] of objectItems(c.ports, p.child('ports'), errs)) {
    if (port.name) {
      errs.push(...validatePortName(port.name, pp.child('name')));
      if (portNames.has(port.name)) errs.push(duplicate(pp.child('name'), port.name));
      portNames.add(port.name);
    }
    if (port.containerPort === undefined || port.containerPort === 0) errs.push(required(pp.child('containerPort')));
    else errs.push(...validatePortNumber(port.containerPort, pp.child('containerPort')));
    if (port.hostPort !== undefined && port.hostPort !== 0) errs.push(...validatePortNumber(port.hostPort, pp.child('hostPort')));
    if (!port.protocol) errs.push(required(pp.child('protocol')));
    else errs.push(...validateEnum(port.protocol, PROTOCOLS, pp.child('protocol')));
  }
  for (const [e, ep] of objectItems(c.env, p.child('env'), errs)) {
    if (!e.name) errs.push(required(ep.child('name')));
    else if (!ENV_VAR_NAME_RE.test(e.name)) {
      errs.push(
        invalid(
          ep.child('name'),
          e.name,
          `a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '${ENV_VAR_NAME_FMT}')`,
        ),
      );
    }
    if (e.value !== undefined && e.valueFrom !== undefined) {
      errs.push(invalid(ep.child('valueFrom'), '', 'may not be specified when `value` is not empty'));
    }
  }
  const mountPaths = new Set<string>();
  for (const [m, mp] of objectItems(c.volumeMounts, p.child('volumeMounts'), errs)) {
    if (!m.name) errs.push(required(mp.child('name')));
    else if (!volumes.has(m.name)) errs.push(notFound(mp.child('name'), m.name));
    if (!m.mountPath) errs.push(required(mp.child('mountPath')));
    else {
      if (mountPaths.has(m.mountPath)) errs.push(invalid(mp.child('mountPath'), m.mountPath, 'must be unique'));
      mountPaths.add(m.mountPath);
    }
  }
  errs.push(...validateResources(c.resources, p.child('resources')));
  return errs;
}

/**
 * Every invalid field of a PodSpec at `path`: containers (required; names DNS-1123 labels,
 * unique across init and app containers; image; ports; env; mounts of declared volumes;
 * resources), volumes (unique DNS-1123 label names, one valid source each), restartPolicy,
 * dnsPolicy, grace and deadline seconds, nodeSelector, serviceAccountName, nodeName, tolerations
 * and the scheduling fields (see validatePodScheduling).
 */
export function validatePodSpec(spec: PodSpec | undefined, path: PathLike): FieldError[] {
  const p = toPath(path);
  const errs: FieldError[] = [];
  if (!isRecord(spec)) return [required(p)];
  const volumes = new Set<string>();
  for (const [v, vp] of objectItems(spec.volumes, p.child('volumes'), errs)) {
    if (!v.name) errs.push(required(vp.child('name')));
    else {
      errs.push(...validateDns1123Label(v.name, vp.child('name')));
      if (volumes.has(v.name)) errs.push(duplicate(vp.child('name'), v.name));
      volumes.add(v.name);
    }
    errs.push(...validatePodVolumeSource(v, vp));
  }
  const names = new Set<string>();
  if (!Array.isArray(spec.containers) || spec.containers.length === 0) errs.push(required(p.child('containers')));
  else for (const [c, cp] of objectItems(spec.containers, p.child('containers'), errs)) errs.push(...validateContainer(c, cp, volumes, names));
  for (const [c, cp] of objectItems(spec.initContainers, p.child('initContainers'), errs)) errs.push(...validateContainer(c, cp, volumes, names));
  errs.push(...validateEnum(spec.restartPolicy, RESTART_POLICIES, p.child('restartPolicy')));
  errs.push(...validateEnum(spec.dnsPolicy, DNS_POLICIES, p.child('dnsPolicy')));
  errs.push(...validateNonNegative(spec.terminationGracePeriodSeconds, p.child('terminationGracePeriodSeconds')));
  if (spec.activeDeadlineSeconds !== undefined && (spec.activeDeadlineSeconds < 1 || spec.activeDeadlineSeconds > 2147483647)) {
    errs.push(invalid(p.child('activeDeadlineSeconds'), spec.activeDeadlineSeconds, 'must be between 1 and 2147483647, inclusive'));
  }
  errs.push(...validateLabels(spec.nodeSelector, p.child('nodeSelector')));
  if (spec.serviceAccountName) errs.push(...validateDns1123Subdomain(spec.serviceAccountName, p.child('serviceAccountName')));
  if (spec.nodeName) errs.push(...validateDns1123Subdomain(spec.nodeName, p.child('nodeName')));
  for (const [t, tp] of objectItems(spec.tolerations, p.child('tolerations'), errs)) errs.push(...validateToleration(t, tp));
  errs.push(...validatePodScheduling(spec, p));
  return errs;
}

function validateToleration(t: Toleration, path: PathLike): FieldError[] {
  const p = toPath(path);
  const errs: FieldError[] = [];
  if (t.key) errs.push(...validateLabels({ [t.key]: '' }, p.child('key')));
  if (!t.key && t.operator !== 'Exists') errs.push(invalid(p.child('operator'), t.operator ?? '', 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
  errs.push(...validateEnum(t.operator, TOLERATION_OPERATORS, p.child('operator')));
  if (t.operator === 'Exists' && t.value) errs.push(invalid(p.child('operator'), t.value, 'value must be empty when `operator` is \'Exists\''));
  if (t.effect) errs.push(...validateEnum(t.effect, TAINT_EFFECTS, p.child('effect')));
  if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute') {
    errs.push(invalid(p.child('effect'), t.effect ?? '', 'effect must be \'NoExecute\' when `tolerationSeconds` is set'));
  }
  return errs;
}

/**
 * Every invalid field of a pod template at `path` (e.g. `spec.template`): its labels and
 * annotations, and its spec at `<path>.spec`.
 */
export function validatePodTemplateSpec(tmpl: PodTemplateSpec | undefined, path: PathLike): FieldError[] {
  const p = toPath(path);
  if (!tmpl || !isObject(tmpl)) return [required(p)];
  const errs: FieldError[] = [];
  errs.push(...validateLabels(tmpl.metadata?.labels, p.child('metadata', 'labels')));
  errs.push(...validateAnnotations(tmpl.metadata?.annotations, p.child('metadata', 'annotations')));
  errs.push(...validatePodSpec(tmpl.spec, p.child('spec')));
  return errs;
}

/** Fills pod-template defaults (those of its spec) in place. */
export function defaultPodTemplateSpec(tmpl: PodTemplateSpec | undefined): void {
  if (isRecord(tmpl) && isRecord(tmpl.spec)) defaultPodSpec(tmpl.spec);
}

/**
 * A pod's QoS class: Guaranteed when every container limits cpu and memory and requests equal
 * limits, BestEffort when no container requests or limits anything, else Burstable.
 */
export function computeQosClass(spec: PodSpec | undefined): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const containers = [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])].filter(isObject);
  let any = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    const limits = c.resources?.limits ?? {};
    const requests = c.resources?.requests ?? {};
    const relevant = (m: Record<string, string>) => Object.entries(m).filter(([k, v]) => (k === 'cpu' || k === 'memory') && isQuantity(String(v)) && compareQuantities(String(v), '0') !== 0);
    if (relevant(limits).length || relevant(requests).length) any = true;
    for (const r of ['cpu', 'memory']) {
      const lim = limits[r];
      if (lim === undefined) {
        guaranteed = false;
        continue;
      }
      const req = requests[r] ?? lim;
      if (!isQuantity(String(req)) || !isQuantity(String(lim)) || compareQuantities(String(req), String(lim)) !== 0) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

/** Kubernetes' message for a pod update that changes more than it may. */
export const POD_UPDATE_FORBIDDEN_MESSAGE =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

/**
 * Errors of a pod spec update: everything is immutable except container and init-container
 * images, activeDeadlineSeconds (may be set, or lowered, never unset or raised), additions
 * to tolerations and removals of scheduling gates. `spec.nodeName` changes only through the
 * binding subresource.
 */
export function validatePodSpecUpdate(next: PodSpec, prev: PodSpec, path: PathLike): FieldError[] {
  const p = toPath(path);
  const errs: FieldError[] = [];
  const na = next.activeDeadlineSeconds;
  const oa = prev.activeDeadlineSeconds;
  if (oa !== undefined && na === undefined) {
    errs.push(invalid(p.child('activeDeadlineSeconds'), null, 'must not update from a positive integer to nil value'));
  } else if (oa !== undefined && na !== undefined && na > oa) {
    errs.push(invalid(p.child('activeDeadlineSeconds'), na, 'must be less than or equal to previous value'));
  }
  // Every old toleration must still be there (in any order); new ones may be added.
  const newTolerations = (Array.isArray(next.tolerations) ? next.tolerations : []).map(canonical);
  const tolerationsOk = (Array.isArray(prev.tolerations) ? prev.tolerations : []).every((t) => newTolerations.includes(canonical(t)));
  // Compare the rest with the mutable fields masked.
  const mask = (s: PodSpec, tolerations: unknown): PodSpec => {
    const copy = JSON.parse(JSON.stringify(s)) as PodSpec;
    delete copy.activeDeadlineSeconds;
    delete copy.schedulingGates;
    copy.tolerations = tolerations as Toleration[];
    const strip = (cs: Container[] | undefined) => (Array.isArray(cs) ? cs.forEach((c) => isRecord(c) && delete c.image) : undefined);
    strip(copy.containers);
    strip(copy.initContainers);
    return copy;
  };
  const same =
    tolerationsOk &&
    sameJson(mask(next, null), mask(prev, null)) &&
    (next.containers ?? []).length === (prev.containers ?? []).length &&
    (next.initContainers ?? []).length === (prev.initContainers ?? []).length;
  if (!same) errs.push(forbidden(p, POD_UPDATE_FORBIDDEN_MESSAGE));
  errs.push(...validateSchedulingGatesUpdate(next, prev, p));
  return errs;
}

function sameJson(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isRecord(v)) {
    return `{${Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}
