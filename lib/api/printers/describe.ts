/**
 * `kubectl describe` text for API objects. Pure: the caller passes the object, the events that
 * concern it and the clock. Kinds with a describer of their own follow kubectl's layout; others
 * get a generic describe (metadata, then spec and status as indented `key: value` lines).
 * Malformed objects never throw: missing values print as `<none>` or `<unknown>`.
 */
import type { KubeObject } from '../object';
import { formatRFC1123Z, parseTimestamp, translateTimestampSince } from './age';
import { nodeRoles, formatEndpoints } from './columns-core';
import { DescribeWriter, LEVEL_0, LEVEL_1 } from './describe-writer';
import { describeContainers, describePodTemplate, describeTolerations, describeVolumes, podQOS, quantityString } from './describe-pod';
import { arr, compareStrings, controllerOf, dig, formatLabels, formatLabelSelector, int, labelSelectorString, optInt, rec, recs, scalarText, sortedKeys, str } from './fields';

/** Options of {@link describe}. */
export interface DescribeOptions {
  /** The clock for ages (`Age` of events, `Terminating (lasts 5m)`). */
  now: Date;
  /** core/v1 Events about the object; when given (even empty) an Events section is printed. */
  events?: readonly KubeObject[];
  /** UTC offset in minutes for absolute timestamps; 0 (UTC) by default. */
  utcOffsetMinutes?: number;
  /** Endpoints of a Service, for its `Endpoints:` lines. */
  endpoints?: KubeObject;
}

interface Ctx {
  now: Date;
  tz: number;
  opts: DescribeOptions;
}

function meta(obj: KubeObject): Record<string, unknown> {
  return rec(obj.metadata);
}

function controlledBy(w: DescribeWriter, obj: KubeObject): void {
  const c = controllerOf(obj);
  if (c) w.write(LEVEL_0, `Controlled By:\t${str(c.kind)}/${str(c.name)}\n`);
}

function eventTime(e: KubeObject): number {
  const t = parseTimestamp(e.lastTimestamp) ?? parseTimestamp(e.eventTime) ?? parseTimestamp(e.firstTimestamp);
  return t ? t.getTime() : 0;
}

/** The `Events:` section: `Events:  <none>` or a Type/Reason/Age/From/Message table, oldest first. */
export function describeEvents(w: DescribeWriter, events: readonly KubeObject[], now: Date): void {
  if (!Array.isArray(events) || events.length === 0) {
    w.write(LEVEL_0, 'Events:\t<none>\n');
    return;
  }
  w.flush();
  const sorted = events.map((e) => rec(e) as KubeObject).sort((a, b) => eventTime(a) - eventTime(b));
  w.write(LEVEL_0, 'Events:\n  Type\tReason\tAge\tFrom\tMessage\n');
  w.write(LEVEL_1, '----\t------\t----\t----\t-------\n');
  for (const e of sorted) {
    let first = translateTimestampSince(e.eventTime, now);
    if (parseTimestamp(e.eventTime) === undefined) first = translateTimestampSince(e.firstTimestamp, now);
    let interval = first;
    const series = e.series;
    if (series !== undefined && series !== null) {
      interval = `${translateTimestampSince(rec(series).lastObservedTime, now)} (x${int(rec(series).count)} over ${first})`;
    } else if (int(e.count) > 1) {
      interval = `${translateTimestampSince(e.lastTimestamp, now)} (x${int(e.count)} over ${first})`;
    }
    const source = str(dig(e, 'source', 'component')) || str(e.reportingController) || str(e.reportingComponent);
    let message = str(e.message).trim();
    const fieldPath = str(dig(e, 'involvedObject', 'fieldPath'));
    if (fieldPath !== '') message = `${fieldPath}: ${message}`;
    w.write(LEVEL_1, `${str(e.type)}\t${str(e.reason)}\t${interval}\t${source}\t${message}\n`);
  }
}

function events(w: DescribeWriter, c: Ctx): void {
  if (c.opts.events) describeEvents(w, c.opts.events, c.now);
}

function describePod(w: DescribeWriter, pod: KubeObject, c: Ctx): void {
  const m = meta(pod);
  const spec = rec(pod.spec);
  const status = rec(pod.status);
  w.write(LEVEL_0, `Name:\t${str(m.name)}\n`);
  w.write(LEVEL_0, `Namespace:\t${str(m.namespace)}\n`);
  if (optInt(spec.priority) !== undefined) w.write(LEVEL_0, `Priority:\t${optInt(spec.priority)}\n`);
  if (str(spec.priorityClassName) !== '') w.write(LEVEL_0, `Priority Class Name:\t${str(spec.priorityClassName)}\n`);
  if (str(spec.runtimeClassName) !== '') w.write(LEVEL_0, `Runtime Class Name:\t${str(spec.runtimeClassName)}\n`);
  if (str(spec.serviceAccountName) !== '') w.write(LEVEL_0, `Service Account:\t${str(spec.serviceAccountName)}\n`);
  w.write(LEVEL_0, str(spec.nodeName) === '' ? 'Node:\t<none>\n' : `Node:\t${str(spec.nodeName)}/${str(status.hostIP)}\n`);
  if (status.startTime !== undefined && status.startTime !== null) w.write(LEVEL_0, `Start Time:\t${formatRFC1123Z(status.startTime, c.tz)}\n`);
  w.labels('Labels', m.labels);
  w.annotations('Annotations', m.annotations);
  const phase = str(status.phase);
  if (m.deletionTimestamp && phase !== 'Failed' && phase !== 'Succeeded') {
    w.write(LEVEL_0, `Status:\tTerminating (lasts ${translateTimestampSince(m.deletionTimestamp, c.now)})\n`);
    w.write(LEVEL_0, `Termination Grace Period:\t${int(m.deletionGracePeriodSeconds)}s\n`);
  } else {
    w.write(LEVEL_0, `Status:\t${phase}\n`);
  }
  if (str(status.reason) !== '') w.write(LEVEL_0, `Reason:\t${str(status.reason)}\n`);
  if (str(status.message) !== '') w.write(LEVEL_0, `Message:\t${str(status.message)}\n`);
  w.write(LEVEL_0, `IP:\t${str(status.podIP)}\n`);
  const ips = recs(status.podIPs);
  if (ips.length === 0) {
    w.write(LEVEL_0, 'IPs:\t<none>\n');
  } else {
    w.write(LEVEL_0, 'IPs:\n');
    for (const ip of ips) w.write(LEVEL_1, `IP:\t${str(ip.ip)}\n`);
  }
  controlledBy(w, pod);
  if (str(status.nominatedNodeName) !== '') w.write(LEVEL_0, `NominatedNodeName:\t${str(status.nominatedNodeName)}\n`);
  if (recs(spec.initContainers).length > 0) describeContainers(w, 'Init Containers', spec.initContainers, status.initContainerStatuses, '', c.tz);
  describeContainers(w, 'Containers', spec.containers, status.containerStatuses, '', c.tz);
  const gates = recs(spec.readinessGates);
  const conds = recs(status.conditions);
  if (gates.length > 0) {
    w.write(LEVEL_0, 'Readiness Gates:\n  Type\tStatus\n');
    for (const g of gates) {
      const cond = conds.find((x) => x.type === g.conditionType);
      w.write(LEVEL_1, `${str(g.conditionType)} \t${cond ? str(cond.status) : '<none>'} \n`);
    }
  }
  if (conds.length > 0) {
    w.write(LEVEL_0, 'Conditions:\n  Type\tStatus\n');
    for (const cond of conds) w.write(LEVEL_1, `${str(cond.type)} \t${str(cond.status)} \n`);
  }
  describeVolumes(w, spec.volumes, '');
  w.write(LEVEL_0, `QoS Class:\t${podQOS(pod)}\n`);
  w.labels('Node-Selectors', spec.nodeSelector);
  describeTolerations(w, 'Tolerations', spec.tolerations);
  events(w, c);
}

function conditionsTable(w: DescribeWriter, conditions: unknown): void {
  const conds = recs(conditions);
  if (conds.length === 0) return;
  w.write(LEVEL_0, 'Conditions:\n  Type\tStatus\tReason\n');
  w.write(LEVEL_1, '----\t------\t------\n');
  for (const cond of conds) w.write(LEVEL_1, `${str(cond.type)} \t${str(cond.status)}\t${str(cond.reason)}\n`);
}

function intOrString(v: unknown, dflt: string): string {
  if (typeof v === 'number' && Number.isFinite(v)) return String(Math.trunc(v));
  if (typeof v === 'string' && v !== '') return v;
  return dflt;
}

function describeDeployment(w: DescribeWriter, d: KubeObject, c: Ctx): void {
  const m = meta(d);
  const spec = rec(d.spec);
  const status = rec(d.status);
  w.write(LEVEL_0, `Name:\t${str(m.name)}\n`);
  w.write(LEVEL_0, `Namespace:\t${str(m.namespace)}\n`);
  w.write(LEVEL_0, `CreationTimestamp:\t${formatRFC1123Z(m.creationTimestamp, c.tz)}\n`);
  w.labels('Labels', m.labels);
  w.annotations('Annotations', m.annotations);
  const sel = labelSelectorString(spec.selector);
  w.write(LEVEL_0, `Selector:\t${sel === undefined ? '<invalid>' : sel}\n`);
  const desired = optInt(spec.replicas) ?? 1;
  w.write(
    LEVEL_0,
    `Replicas:\t${desired} desired | ${int(status.updatedReplicas)} updated | ${int(status.replicas)} total | ` +
      `${int(status.availableReplicas)} available | ${int(status.unavailableReplicas)} unavailable\n`,
  );
  const strategy = rec(spec.strategy);
  w.write(LEVEL_0, `StrategyType:\t${str(strategy.type)}\n`);
  w.write(LEVEL_0, `MinReadySeconds:\t${int(spec.minReadySeconds)}\n`);
  if (strategy.rollingUpdate !== undefined && strategy.rollingUpdate !== null) {
    const ru = rec(strategy.rollingUpdate);
    w.write(LEVEL_0, `RollingUpdateStrategy:\t${intOrString(ru.maxUnavailable, '25%')} max unavailable, ${intOrString(ru.maxSurge, '25%')} max surge\n`);
  }
  describePodTemplate(w, spec.template, c.tz);
  conditionsTable(w, status.conditions);
  events(w, c);
}

function describeReplicaSet(w: DescribeWriter, rs: KubeObject, c: Ctx): void {
  const m = meta(rs);
  const spec = rec(rs.spec);
  const status = rec(rs.status);
  w.write(LEVEL_0, `Name:\t${str(m.name)}\n`);
  w.write(LEVEL_0, `Namespace:\t${str(m.namespace)}\n`);
  w.write(LEVEL_0, `Selector:\t${formatLabelSelector(spec.selector)}\n`);
  w.labels('Labels', m.labels);
  w.annotations('Annotations', m.annotations);
  controlledBy(w, rs);
  w.write(LEVEL_0, `Replicas:\t${int(status.replicas)} current / ${optInt(spec.replicas) ?? 1} desired\n`);
  // Pod counts need the pods themselves; what the status knows is shown instead.
  w.write(LEVEL_0, `Pods Status:\t${int(status.readyReplicas)} Ready / ${int(status.availableReplicas)} Available\n`);
  describePodTemplate(w, spec.template, c.tz);
  conditionsTable(w, status.conditions);
  events(w, c);
}

function describeService(w: DescribeWriter, svc: KubeObject, c: Ctx): void {
  const m = meta(svc);
  const spec = rec(svc.spec);
  w.write(LEVEL_0, `Name:\t${str(m.name)}\n`);
  w.write(LEVEL_0, `Namespace:\t${str(m.namespace)}\n`);
  w.labels('Labels', m.labels);
  w.annotations('Annotations', m.annotations);
  w.write(LEVEL_0, `Selector:\t${formatLabels(spec.selector)}\n`);
  w.write(LEVEL_0, `Type:\t${str(spec.type) || 'ClusterIP'}\n`);
  if (str(spec.ipFamilyPolicy) !== '') w.write(LEVEL_0, `IP Family Policy:\t${str(spec.ipFamilyPolicy)}\n`);
  const families = arr(spec.ipFamilies).map(str);
  w.write(LEVEL_0, `IP Families:\t${families.length > 0 ? families.join(',') : '<none>'}\n`);
  w.write(LEVEL_0, `IP:\t${str(spec.clusterIP)}\n`);
  const ips = arr(spec.clusterIPs).map(str);
  w.write(LEVEL_0, `IPs:\t${ips.length > 0 ? ips.join(',') : '<none>'}\n`);
  const external = arr(spec.externalIPs).map(str);
  if (external.length > 0) w.write(LEVEL_0, `External IPs:\t${external.join(',')}\n`);
  if (str(spec.loadBalancerIP) !== '') w.write(LEVEL_0, `Desired LoadBalancer IP:\t${str(spec.loadBalancerIP)}\n`);
  if (str(spec.externalName) !== '') w.write(LEVEL_0, `External Name:\t${str(spec.externalName)}\n`);
  const ingress = recs(dig(svc, 'status', 'loadBalancer', 'ingress'))
    .map((i) => str(i.ip) || str(i.hostname))
    .filter((s) => s !== '');
  if (ingress.length > 0) w.write(LEVEL_0, `LoadBalancer Ingress:\t${ingress.join(', ')}\n`);
  for (const p of recs(spec.ports)) {
    const name = str(p.name) || '<unset>';
    const proto = str(p.protocol) || 'TCP';
    w.write(LEVEL_0, `Port:\t${name}\t${int(p.port)}/${proto}\n`);
    w.write(LEVEL_0, `TargetPort:\t${intOrString(p.targetPort, String(int(p.port)))}/${proto}\n`);
    if (str(p.appProtocol) !== '') w.write(LEVEL_0, `AppProtocol:\t${str(p.appProtocol)}\n`);
    if (int(p.nodePort) !== 0) w.write(LEVEL_0, `NodePort:\t${name}\t${int(p.nodePort)}/${proto}\n`);
    w.write(LEVEL_0, `Endpoints:\t${c.opts.endpoints ? endpointsForPort(c.opts.endpoints, str(p.name)) : '<none>'}\n`);
  }
  w.write(LEVEL_0, `Session Affinity:\t${str(spec.sessionAffinity) || 'None'}\n`);
  if (str(spec.externalTrafficPolicy) !== '') w.write(LEVEL_0, `External Traffic Policy:\t${str(spec.externalTrafficPolicy)}\n`);
  if (str(spec.internalTrafficPolicy) !== '') w.write(LEVEL_0, `Internal Traffic Policy:\t${str(spec.internalTrafficPolicy)}\n`);
  if (int(spec.healthCheckNodePort) !== 0) w.write(LEVEL_0, `HealthCheck NodePort:\t${int(spec.healthCheckNodePort)}\n`);
  events(w, c);
}

/** The endpoints of one named service port (all ports when unnamed), as formatEndpoints cuts them. */
function endpointsForPort(ep: KubeObject, portName: string): string {
  const subsets = recs(ep.subsets).map((ss) => ({ ...ss, ports: recs(ss.ports).filter((p) => str(p.name) === portName) }));
  const kept = subsets.filter((ss) => ss.ports.length > 0 || recs(ep.subsets).every((s) => recs(s.ports).length === 0));
  return formatEndpoints({ ...ep, metadata: ep.metadata ?? {}, subsets: kept });
}

function describeNode(w: DescribeWriter, node: KubeObject, c: Ctx): void {
  const m = meta(node);
  const spec = rec(node.spec);
  const status = rec(node.status);
  w.write(LEVEL_0, `Name:\t${str(m.name)}\n`);
  const roles = nodeRoles(node);
  w.write(LEVEL_0, `Roles:\t${roles.length > 0 ? roles.join(',') : '<none>'}\n`);
  w.labels('Labels', m.labels);
  w.annotations('Annotations', m.annotations);
  w.write(LEVEL_0, `CreationTimestamp:\t${formatRFC1123Z(m.creationTimestamp, c.tz)}\n`);
  const taints = recs(spec.taints).sort((a, b) => compareStrings(`${str(a.effect)},${str(a.key)}`, `${str(b.effect)},${str(b.key)}`));
  w.write(LEVEL_0, 'Taints:\t');
  if (taints.length === 0) w.line('<none>');
  taints.forEach((t, i) => {
    if (i !== 0) w.write(LEVEL_0, '\t');
    const key = str(t.key);
    const value = str(t.value);
    const effect = str(t.effect);
    const text = effect === '' ? (value === '' ? key : `${key}=${value}:`) : value === '' ? `${key}:${effect}` : `${key}=${value}:${effect}`;
    w.write(LEVEL_0, `${text}\n`);
  });
  w.write(LEVEL_0, `Unschedulable:\t${spec.unschedulable === true}\n`);
  const conds = recs(status.conditions);
  if (conds.length > 0) {
    w.write(LEVEL_0, 'Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n');
    w.write(LEVEL_1, '----\t------\t-----------------\t------------------\t------\t-------\n');
    for (const cond of conds) {
      w.write(
        LEVEL_1,
        `${str(cond.type)} \t${str(cond.status)} \t${formatRFC1123Z(cond.lastHeartbeatTime, c.tz)} \t${formatRFC1123Z(cond.lastTransitionTime, c.tz)} \t${str(cond.reason)} \t${str(cond.message)}\n`,
      );
    }
  }
  w.write(LEVEL_0, 'Addresses:\n');
  for (const a of recs(status.addresses)) w.write(LEVEL_1, `${str(a.type)}:\t${str(a.address)}\n`);
  for (const [title, list] of [['Capacity', rec(status.capacity)], ['Allocatable', rec(status.allocatable)]] as const) {
    const keys = sortedKeys(list);
    if (keys.length === 0) continue;
    w.write(LEVEL_0, `${title}:\n`);
    for (const k of keys) w.write(LEVEL_0, `  ${k}:\t${quantityString(list[k])}\n`);
  }
  const info = rec(status.nodeInfo);
  w.write(LEVEL_0, 'System Info:\n');
  const infoLines: [string, string][] = [
    ['Machine ID', 'machineID'],
    ['System UUID', 'systemUUID'],
    ['Boot ID', 'bootID'],
    ['Kernel Version', 'kernelVersion'],
    ['OS Image', 'osImage'],
    ['Operating System', 'operatingSystem'],
    ['Architecture', 'architecture'],
    ['Container Runtime Version', 'containerRuntimeVersion'],
    ['Kubelet Version', 'kubeletVersion'],
  ];
  for (const [label, key] of infoLines) w.write(LEVEL_0, `  ${label}:\t${str(info[key])}\n`);
  if (str(spec.podCIDR) !== '') w.write(LEVEL_0, `PodCIDR:\t${str(spec.podCIDR)}\n`);
  const cidrs = arr(spec.podCIDRs).map(str);
  if (cidrs.length > 0) w.write(LEVEL_0, `PodCIDRs:\t${cidrs.join(',')}\n`);
  if (str(spec.providerID) !== '') w.write(LEVEL_0, `ProviderID:\t${str(spec.providerID)}\n`);
  events(w, c);
}

function describeNamespace(w: DescribeWriter, ns: KubeObject, c: Ctx): void {
  const m = meta(ns);
  w.write(LEVEL_0, `Name:\t${str(m.name)}\n`);
  w.labels('Labels', m.labels);
  w.annotations('Annotations', m.annotations);
  w.write(LEVEL_0, `Status:\t${str(rec(ns.status).phase)}\n`);
  const conds = recs(rec(ns.status).conditions);
  if (conds.length > 0) {
    w.write(LEVEL_0, 'Conditions:\n');
    w.write(LEVEL_1, 'Type\tStatus\tLastTransitionTime\tReason\tMessage\n');
    w.write(LEVEL_1, '----\t------\t------------------\t------\t-------\n');
    for (const cond of conds) {
      w.write(LEVEL_1, `${str(cond.type)}\t${str(cond.status)}\t${formatRFC1123Z(cond.lastTransitionTime, c.tz)}\t${str(cond.reason)}\t${str(cond.message)}\n`);
    }
  }
  w.write(LEVEL_0, '\nNo resource quota.\n');
  w.write(LEVEL_0, '\nNo LimitRange resource.\n');
}

function describeConfigMap(w: DescribeWriter, cm: KubeObject, c: Ctx): void {
  const m = meta(cm);
  w.write(LEVEL_0, `Name:\t${str(m.name)}\n`);
  w.write(LEVEL_0, `Namespace:\t${str(m.namespace)}\n`);
  w.labels('Labels', m.labels);
  w.annotations('Annotations', m.annotations);
  w.write(LEVEL_0, '\nData\n====\n');
  const data = rec(cm.data);
  for (const k of sortedKeys(data)) {
    w.write(LEVEL_0, `${k}:\n----\n`);
    w.write(LEVEL_0, `${str(data[k])}\n`);
    w.write(LEVEL_0, '\n');
  }
  w.write(LEVEL_0, '\nBinaryData\n====\n');
  const bin = rec(cm.binaryData);
  for (const k of sortedKeys(bin)) w.write(LEVEL_0, `${k}: ${base64Length(bin[k])} bytes\n`);
  w.write(LEVEL_0, '\n');
  events(w, c);
}

/** Decoded length of a base64 string (as JSON carries []byte), without decoding it. */
function base64Length(v: unknown): number {
  const s = str(v).replace(/\s/g, '');
  if (s === '') return 0;
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  return Math.max(0, Math.floor((s.length * 3) / 4) - pad);
}

function describeSecret(w: DescribeWriter, secret: KubeObject): void {
  const m = meta(secret);
  w.write(LEVEL_0, `Name:\t${str(m.name)}\n`);
  w.write(LEVEL_0, `Namespace:\t${str(m.namespace)}\n`);
  w.labels('Labels', m.labels);
  w.annotations('Annotations', m.annotations);
  w.write(LEVEL_0, `\nType:\t${str(secret.type) || 'Opaque'}\n`);
  w.write(LEVEL_0, '\nData\n====\n');
  const data = rec(secret.data);
  // Values are never printed, only their sizes.
  for (const k of sortedKeys(data)) w.write(LEVEL_0, `${k}:\t${base64Length(data[k])} bytes\n`);
}

function describeJob(w: DescribeWriter, job: KubeObject, c: Ctx): void {
  const m = meta(job);
  const spec = rec(job.spec);
  const status = rec(job.status);
  w.write(LEVEL_0, `Name:\t${str(m.name)}\n`);
  w.write(LEVEL_0, `Namespace:\t${str(m.namespace)}\n`);
  const sel = labelSelectorString(spec.selector);
  w.write(LEVEL_0, `Selector:\t${sel === undefined ? '<invalid>' : sel}\n`);
  w.labels('Labels', m.labels);
  w.annotations('Annotations', m.annotations);
  controlledBy(w, job);
  if (optInt(spec.parallelism) !== undefined) w.write(LEVEL_0, `Parallelism:\t${optInt(spec.parallelism)}\n`);
  w.write(LEVEL_0, `Completions:\t${optInt(spec.completions) ?? '<unset>'}\n`);
  if (str(spec.completionMode) !== '') w.write(LEVEL_0, `Completion Mode:\t${str(spec.completionMode)}\n`);
  if (typeof spec.suspend === 'boolean') w.write(LEVEL_0, `Suspend:\t${spec.suspend}\n`);
  if (optInt(spec.backoffLimit) !== undefined) w.write(LEVEL_0, `Backoff Limit:\t${optInt(spec.backoffLimit)}\n`);
  if (optInt(spec.ttlSecondsAfterFinished) !== undefined) w.write(LEVEL_0, `TTL Seconds After Finished:\t${optInt(spec.ttlSecondsAfterFinished)}\n`);
  const start = parseTimestamp(status.startTime);
  const done = parseTimestamp(status.completionTime);
  if (start) w.write(LEVEL_0, `Start Time:\t${formatRFC1123Z(start, c.tz)}\n`);
  if (done) w.write(LEVEL_0, `Completed At:\t${formatRFC1123Z(done, c.tz)}\n`);
  if (start && done) w.write(LEVEL_0, `Duration:\t${translateTimestampSince(start.toISOString(), done)}\n`);
  if (optInt(spec.activeDeadlineSeconds) !== undefined) w.write(LEVEL_0, `Active Deadline Seconds:\t${optInt(spec.activeDeadlineSeconds)}s\n`);
  w.write(LEVEL_0, `Pods Statuses:\t${int(status.active)} Active (${int(status.ready)} Ready) / ${int(status.succeeded)} Succeeded / ${int(status.failed)} Failed\n`);
  describePodTemplate(w, spec.template, c.tz);
  events(w, c);
}

/** Generic `key: value` lines of a nested value at `level`. */
function describeValue(w: DescribeWriter, value: unknown, level: number): void {
  if (Array.isArray(value)) {
    for (const item of value) {
      if (item !== null && typeof item === 'object') {
        describeValue(w, item, level);
      } else {
        w.write(level, `${scalarText(item)}\n`);
      }
    }
    return;
  }
  const r = rec(value);
  for (const k of sortedKeys(r)) {
    const v = r[k];
    if (v !== null && typeof v === 'object' && (Array.isArray(v) ? v.length > 0 : Object.keys(v).length > 0)) {
      w.write(level, `${capitalize(k)}:\n`);
      describeValue(w, v, level + 1);
    } else if (v !== null && typeof v === 'object') {
      w.write(level, `${capitalize(k)}:\t<none>\n`);
    } else {
      w.write(level, `${capitalize(k)}:\t${scalarText(v)}\n`);
    }
  }
}

function capitalize(k: string): string {
  return k === '' ? k : k[0].toUpperCase() + k.slice(1);
}

function describeGeneric(w: DescribeWriter, obj: KubeObject, c: Ctx): void {
  const m = meta(obj);
  w.write(LEVEL_0, `Name:\t${str(m.name)}\n`);
  w.write(LEVEL_0, `Namespace:\t${str(m.namespace)}\n`);
  w.labels('Labels', m.labels);
  w.annotations('Annotations', m.annotations);
  w.write(LEVEL_0, `API Version:\t${str(obj.apiVersion)}\n`);
  w.write(LEVEL_0, `Kind:\t${str(obj.kind)}\n`);
  w.write(LEVEL_0, `CreationTimestamp:\t${formatRFC1123Z(m.creationTimestamp, c.tz)}\n`);
  controlledBy(w, obj);
  for (const k of sortedKeys(obj as Record<string, unknown>)) {
    if (k === 'apiVersion' || k === 'kind' || k === 'metadata') continue;
    const v = (obj as Record<string, unknown>)[k];
    if (v !== null && typeof v === 'object') {
      w.write(LEVEL_0, `${capitalize(k)}:\n`);
      describeValue(w, v, LEVEL_1);
    } else {
      w.write(LEVEL_0, `${capitalize(k)}:\t${scalarText(v)}\n`);
    }
  }
  events(w, c);
}

/** `kubectl describe` text of `obj`. */
export function describe(obj: KubeObject, opts: DescribeOptions): string {
  const w = new DescribeWriter();
  const c: Ctx = { now: opts.now, tz: opts.utcOffsetMinutes ?? 0, opts };
  const o: KubeObject = obj !== null && typeof obj === 'object' ? { ...obj, metadata: rec(obj.metadata) } : { metadata: {} };
  try {
    switch (str(o.kind)) {
      case 'Pod':
        describePod(w, o, c);
        break;
      case 'Deployment':
        describeDeployment(w, o, c);
        break;
      case 'ReplicaSet':
        describeReplicaSet(w, o, c);
        break;
      case 'Service':
        describeService(w, o, c);
        break;
      case 'Node':
        describeNode(w, o, c);
        break;
      case 'Namespace':
        describeNamespace(w, o, c);
        break;
      case 'ConfigMap':
        describeConfigMap(w, o, c);
        break;
      case 'Secret':
        describeSecret(w, o);
        break;
      case 'Job':
        describeJob(w, o, c);
        break;
      default:
        describeGeneric(w, o, c);
    }
  } catch {
    // A describer bug must not hide the object: fall back to the generic view.
    const g = new DescribeWriter();
    describeGeneric(g, o, c);
    return g.toString();
  }
  return w.toString();
}
