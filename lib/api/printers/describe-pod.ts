/**
 * Describe sections shared by pods and pod templates: containers, volumes, tolerations, QoS.
 * Layout follows kubectl's describe.go.
 */
import type { KubeObject } from '../object';
import { compareQuantities, parseQuantity } from '../quantity';
import { formatRFC1123Z } from './age';
import { DescribeWriter, LEVEL_0, LEVEL_1, LEVEL_2, LEVEL_3 } from './describe-writer';
import { arr, compareStrings, dig, int, rec, recs, sortedKeys, str } from './fields';

/** A quantity in canonical form, or as given when it does not parse. */
export function quantityString(v: unknown): string {
  const s = str(v);
  try {
    return parseQuantity(s).toString();
  } catch {
    return s;
  }
}

function portsString(ports: Record<string, unknown>[], field: 'containerPort' | 'hostPort'): string {
  return ports
    .map((p) => {
      const s = `${int(p[field])}/${str(p.protocol) || 'TCP'}`;
      return str(p.name) !== '' ? `${s} (${str(p.name)})` : s;
    })
    .join(', ');
}

function describeState(w: DescribeWriter, title: string, state: unknown, utcOffset: number): void {
  const s = rec(state);
  if (s.running !== undefined && s.running !== null) {
    w.write(LEVEL_2, `${title}:\tRunning\n`);
    w.write(LEVEL_3, `Started:\t${formatRFC1123Z(dig(s, 'running', 'startedAt'), utcOffset)}\n`);
  } else if (s.waiting !== undefined && s.waiting !== null) {
    w.write(LEVEL_2, `${title}:\tWaiting\n`);
    const reason = str(dig(s, 'waiting', 'reason'));
    if (reason !== '') w.write(LEVEL_3, `Reason:\t${reason}\n`);
  } else if (s.terminated !== undefined && s.terminated !== null) {
    const t = rec(s.terminated);
    w.write(LEVEL_2, `${title}:\tTerminated\n`);
    if (str(t.reason) !== '') w.write(LEVEL_3, `Reason:\t${str(t.reason)}\n`);
    if (str(t.message) !== '') w.write(LEVEL_3, `Message:\t${str(t.message)}\n`);
    w.write(LEVEL_3, `Exit Code:\t${int(t.exitCode)}\n`);
    if (int(t.signal) > 0) w.write(LEVEL_3, `Signal:\t${int(t.signal)}\n`);
    w.write(LEVEL_3, `Started:\t${formatRFC1123Z(t.startedAt, utcOffset)}\n`);
    w.write(LEVEL_3, `Finished:\t${formatRFC1123Z(t.finishedAt, utcOffset)}\n`);
  } else {
    w.write(LEVEL_2, `${title}:\tWaiting\n`);
  }
}

function describeResources(w: DescribeWriter, resources: unknown, level: number): void {
  const r = rec(resources);
  for (const [title, list] of [['Limits', rec(r.limits)], ['Requests', rec(r.requests)]] as const) {
    const keys = sortedKeys(list);
    if (keys.length > 0) w.write(level, `${title}:\n`);
    for (const k of keys) w.write(level + 1, `${k}:\t${quantityString(list[k])}\n`);
  }
}

function probeString(probe: unknown): string {
  const p = rec(probe);
  const attrs =
    `delay=${int(p.initialDelaySeconds)}s timeout=${int(p.timeoutSeconds, 1)}s period=${int(p.periodSeconds, 10)}s ` +
    `successThreshold=${int(p.successThreshold, 1)} failureThreshold=${int(p.failureThreshold, 3)}`;
  if (p.exec) return `exec [${arr(dig(p, 'exec', 'command')).map(str).join(' ')}] ${attrs}`;
  if (p.httpGet) {
    const h = rec(p.httpGet);
    const scheme = (str(h.scheme) || 'HTTP').toLowerCase();
    const port = str(h.port);
    const host = str(h.host);
    const hostPort = port !== '' ? `${host.includes(':') ? `[${host}]` : host}:${port}` : host;
    return `http-get ${scheme}://${hostPort}${str(h.path)} ${attrs}`;
  }
  if (p.tcpSocket) return `tcp-socket ${str(dig(p, 'tcpSocket', 'host'))}:${str(dig(p, 'tcpSocket', 'port'))} ${attrs}`;
  if (p.grpc) return `grpc <pod>:${int(dig(p, 'grpc', 'port'))} ${str(dig(p, 'grpc', 'service'))} ${attrs}`;
  return `unknown ${attrs}`;
}

function describeEnv(w: DescribeWriter, c: Record<string, unknown>): void {
  const envFrom = recs(c.envFrom);
  if (envFrom.length > 0) {
    w.write(LEVEL_2, 'Environment Variables from:\n');
    for (const e of envFrom) {
      const isCM = e.configMapRef !== undefined && e.configMapRef !== null;
      const ref = rec(isCM ? e.configMapRef : e.secretRef);
      const from = isCM ? 'ConfigMap' : e.secretRef ? 'Secret' : '';
      const optional = ref.optional === true;
      const prefix = str(e.prefix);
      w.write(LEVEL_3, prefix === '' ? `${str(ref.name)}\t${from}\tOptional: ${optional}\n` : `${str(ref.name)}\t${from} with prefix '${prefix}'\tOptional: ${optional}\n`);
    }
  }
  const env = recs(c.env);
  w.write(LEVEL_2, `Environment:${env.length === 0 ? '\t<none>' : ''}\n`);
  for (const e of env) {
    const vf = e.valueFrom;
    if (vf === undefined || vf === null) {
      str(e.value)
        .split('\n')
        .forEach((s, i) => w.write(LEVEL_3, i === 0 ? `${str(e.name)}:\t${s}\n` : `\t${s}\n`));
      continue;
    }
    const v = rec(vf);
    if (v.fieldRef) {
      w.write(LEVEL_3, `${str(e.name)}:\t (${str(dig(v, 'fieldRef', 'apiVersion'))}:${str(dig(v, 'fieldRef', 'fieldPath'))})\n`);
    } else if (v.resourceFieldRef) {
      w.write(LEVEL_3, `${str(e.name)}:\t (${str(dig(v, 'resourceFieldRef', 'resource'))})\n`);
    } else if (v.secretKeyRef) {
      const r = rec(v.secretKeyRef);
      w.write(LEVEL_3, `${str(e.name)}:\t<set to the key '${str(r.key)}' in secret '${str(r.name)}'>\tOptional: ${r.optional === true}\n`);
    } else if (v.configMapKeyRef) {
      const r = rec(v.configMapKeyRef);
      w.write(LEVEL_3, `${str(e.name)}:\t<set to the key '${str(r.key)}' of config map '${str(r.name)}'>\tOptional: ${r.optional === true}\n`);
    }
  }
}

function describeMounts(w: DescribeWriter, c: Record<string, unknown>): void {
  const mounts = recs(c.volumeMounts).sort((a, b) => compareStrings(str(a.mountPath), str(b.mountPath)));
  w.write(LEVEL_2, `Mounts:${mounts.length === 0 ? '\t<none>' : ''}\n`);
  for (const m of mounts) {
    const flags = [m.readOnly === true ? 'ro' : 'rw'];
    if (str(m.subPath) !== '') flags.push(`path=${JSON.stringify(str(m.subPath))}`);
    w.write(LEVEL_3, `${str(m.mountPath)} from ${str(m.name)} (${flags.join(',')})\n`);
  }
}

/** The `Containers:` (or `Init Containers:`) section; `space` is the extra indent inside a template. */
export function describeContainers(
  w: DescribeWriter,
  label: string,
  containers: unknown,
  statuses: unknown,
  space: string,
  utcOffset: number,
): void {
  const cs = recs(containers);
  const byName = new Map(recs(statuses).map((s) => [str(s.name), s] as const));
  w.write(LEVEL_0, `${space}${label}:${cs.length === 0 ? ' <none>' : ''}\n`);
  for (const c of cs) {
    const st = byName.get(str(c.name));
    w.write(LEVEL_1, `${space ? ' ' : ''}${str(c.name)}:\n`);
    if (st) w.write(LEVEL_2, `Container ID:\t${str(st.containerID)}\n`);
    w.write(LEVEL_2, `Image:\t${str(c.image)}\n`);
    if (st) w.write(LEVEL_2, `Image ID:\t${str(st.imageID)}\n`);
    const ports = recs(c.ports);
    const p = portsString(ports, 'containerPort');
    w.write(LEVEL_2, p.includes(',') ? `Ports:\t${p}\n` : `Port:\t${p || '<none>'}\n`);
    const hp = portsString(ports, 'hostPort');
    w.write(LEVEL_2, hp.includes(',') ? `Host Ports:\t${hp}\n` : `Host Port:\t${hp || '<none>'}\n`);
    for (const [title, list] of [['Command', c.command], ['Args', c.args]] as const) {
      const items = arr(list).map(str);
      if (items.length === 0) continue;
      w.write(LEVEL_2, `${title}:\n`);
      for (const item of items) for (const s of item.split('\n')) w.write(LEVEL_3, `${s}\n`);
    }
    if (st) {
      describeState(w, 'State', st.state, utcOffset);
      if (dig(st, 'lastState', 'terminated')) describeState(w, 'Last State', st.lastState, utcOffset);
      w.write(LEVEL_2, `Ready:\t${st.ready === true ? 'True' : 'False'}\n`);
      w.write(LEVEL_2, `Restart Count:\t${int(st.restartCount)}\n`);
    }
    describeResources(w, c.resources, LEVEL_2);
    for (const [title, key] of [['Liveness', 'livenessProbe'], ['Readiness', 'readinessProbe'], ['Startup', 'startupProbe']] as const) {
      if (c[key]) w.write(LEVEL_2, `${title}:\t${probeString(c[key])}\n`);
    }
    describeEnv(w, c);
    describeMounts(w, c);
  }
}

/** The `Volumes:` section. */
export function describeVolumes(w: DescribeWriter, volumes: unknown, space: string): void {
  const vs = recs(volumes);
  if (vs.length === 0) {
    w.write(LEVEL_0, `${space}Volumes:\t<none>\n`);
    return;
  }
  w.write(LEVEL_0, `${space}Volumes:\n`);
  for (const v of vs) {
    w.write(LEVEL_1, `${space ? ' ' : ''}${str(v.name)}:\n`);
    if (v.hostPath) {
      const h = rec(v.hostPath);
      w.write(LEVEL_2, `Type:\tHostPath (bare host directory volume)\n    Path:\t${str(h.path)}\n    HostPathType:\t${str(h.type) || '<none>'}\n`);
    } else if (v.emptyDir) {
      const e = rec(v.emptyDir);
      const limit = str(e.sizeLimit) !== '' && str(e.sizeLimit) !== '0' ? quantityString(e.sizeLimit) : '<unset>';
      w.write(LEVEL_2, `Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n    Medium:\t${str(e.medium)}\n    SizeLimit:\t${limit}\n`);
    } else if (v.secret) {
      const s = rec(v.secret);
      w.write(LEVEL_2, `Type:\tSecret (a volume populated by a Secret)\n    SecretName:\t${str(s.secretName)}\n    Optional:\t${s.optional === true}\n`);
    } else if (v.configMap) {
      const c = rec(v.configMap);
      w.write(LEVEL_2, `Type:\tConfigMap (a volume populated by a ConfigMap)\n    Name:\t${str(c.name)}\n    Optional:\t${c.optional === true}\n`);
    } else if (v.persistentVolumeClaim) {
      const c = rec(v.persistentVolumeClaim);
      w.write(LEVEL_2, `Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)\n    ClaimName:\t${str(c.claimName)}\n    ReadOnly:\t${c.readOnly === true}\n`);
    } else if (v.projected) {
      w.write(LEVEL_2, 'Type:\tProjected (a volume that contains injected data from multiple sources)\n');
    } else if (v.downwardAPI) {
      w.write(LEVEL_2, 'Type:\tDownwardAPI (a volume populated by information about the pod)\n');
    } else {
      w.write(LEVEL_1, '<unknown>\n');
    }
  }
}

/** The `Tolerations:` lines: `key=value:Effect op=Exists for 300s`, sorted by key. */
export function describeTolerations(w: DescribeWriter, title: string, tolerations: unknown, initialIndent = ''): void {
  const ts = recs(tolerations).sort((a, b) => compareStrings(str(a.key), str(b.key)));
  w.write(LEVEL_0, `${initialIndent}${title}:\t`);
  if (ts.length === 0) {
    w.line('<none>');
    return;
  }
  ts.forEach((t, i) => {
    if (i !== 0) w.write(LEVEL_0, `${initialIndent}\t`);
    let s = str(t.key);
    if (str(t.value) !== '') s += `=${str(t.value)}`;
    if (str(t.effect) !== '') s += `:${str(t.effect)}`;
    if (t.operator === 'Exists' && str(t.value) === '') s += str(t.key) !== '' || str(t.effect) !== '' ? ' op=Exists' : 'op=Exists';
    if (typeof t.tolerationSeconds === 'number') s += ` for ${Math.trunc(t.tolerationSeconds)}s`;
    w.write(LEVEL_0, `${s}\n`);
  });
}

const QOS_RESOURCES = ['cpu', 'memory'];

/** The pod's QoS class: status.qosClass when set, else computed from requests and limits. */
export function podQOS(pod: KubeObject): string {
  const set = str(rec(pod.status).qosClass);
  if (set !== '') return set;
  const spec = rec(pod.spec);
  const containers = [...recs(spec.containers), ...recs(spec.initContainers)];
  let any = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    const limits = rec(dig(c, 'resources', 'limits'));
    const requests = { ...limits, ...rec(dig(c, 'resources', 'requests')) };
    for (const r of QOS_RESOURCES) {
      if (limits[r] !== undefined || requests[r] !== undefined) any = true;
      if (limits[r] === undefined) {
        guaranteed = false;
        continue;
      }
      try {
        if (compareQuantities(str(limits[r]), str(requests[r])) !== 0) guaranteed = false;
      } catch {
        guaranteed = false;
      }
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

/** The `Pod Template:` section of workload kinds. */
export function describePodTemplate(w: DescribeWriter, template: unknown, utcOffset: number): void {
  w.write(LEVEL_0, 'Pod Template:\n');
  if (template === undefined || template === null) {
    w.write(LEVEL_1, '<unset>');
    return;
  }
  const t = rec(template);
  const meta = rec(t.metadata);
  const spec = rec(t.spec);
  w.labels('  Labels', meta.labels);
  if (Object.keys(rec(meta.annotations)).length > 0) w.annotations('  Annotations', meta.annotations);
  if (str(spec.serviceAccountName) !== '') w.write(LEVEL_1, `Service Account:\t${str(spec.serviceAccountName)}\n`);
  if (recs(spec.initContainers).length > 0) describeContainers(w, 'Init Containers', spec.initContainers, undefined, '  ', utcOffset);
  describeContainers(w, 'Containers', spec.containers, undefined, '  ', utcOffset);
  describeVolumes(w, spec.volumes, '  ');
  if (str(spec.priorityClassName) !== '') w.write(LEVEL_1, `Priority Class Name:\t${str(spec.priorityClassName)}\n`);
  w.labels('  Node-Selectors', spec.nodeSelector);
  describeTolerations(w, '  Tolerations', spec.tolerations);
}
