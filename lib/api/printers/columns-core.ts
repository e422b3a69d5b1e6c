/**
 * Table columns of core (`v1`) kinds, as Kubernetes' server-side printers define them
 * (pkg/printers/internalversion). Cells are produced for all columns, wide ones included.
 */
import type { KubeObject } from '../object';
import { formatAgo, parseTimestamp, translateTimestampSince } from './age';
import { arr, compareStrings, conditionStatus, dig, formatLabels, int, rec, recs, str, strMap } from './fields';
import { AGE_COLUMN, NAME_COLUMN, column, type KindPrinter, type PrintContext } from './types';

/** Pod status reason set by the node lifecycle controller for pods on an unreachable node. */
const NODE_UNREACHABLE_POD_REASON = 'NodeLost';
/** The reason a pod blocked by scheduling gates carries on its PodScheduled condition. */
const SCHEDULING_GATED_REASON = 'SchedulingGated';
/** Width at which a load balancer address list is cut in non-wide output. */
const LOAD_BALANCER_WIDTH = 16;
/** How many endpoint addresses are listed before "+ N more...". */
const MAX_ENDPOINTS_SHOWN = 3;

const NODE_ROLE_LABEL_PREFIX = 'node-role.kubernetes.io/';
const NODE_ROLE_LABEL = 'kubernetes.io/role';

function age(obj: KubeObject, ctx: PrintContext): string {
  return translateTimestampSince(obj.metadata?.creationTimestamp, ctx.now);
}

function name(obj: KubeObject): string {
  return str(obj.metadata?.name);
}

/** The pod summary kubectl shows: READY, STATUS and RESTARTS, computed as printPod does. */
export interface PodSummary {
  ready: string;
  status: string;
  restarts: string;
}

/** Computes READY `n/m`, STATUS (phase or container reason, `Init:x/y`, `Terminating`…) and RESTARTS. */
export function podSummary(pod: KubeObject, now: Date): PodSummary {
  const spec = rec(pod.spec);
  const status = rec(pod.status);
  const phase = str(status.phase);
  let reason = phase;
  if (str(status.reason) !== '') reason = str(status.reason);
  const conditions = recs(status.conditions);
  for (const c of conditions) {
    if (c.type === 'PodScheduled' && c.reason === SCHEDULING_GATED_REASON) reason = SCHEDULING_GATED_REASON;
  }

  const initSpecs = recs(spec.initContainers);
  const restartableInit = new Set(initSpecs.filter((c) => c.restartPolicy === 'Always').map((c) => str(c.name)));
  let totalContainers = recs(spec.containers).length + restartableInit.size;
  let readyContainers = 0;
  let restarts = 0;
  let restartableInitRestarts = 0;
  let lastRestart = 0;
  let lastRestartableInitRestart = 0;
  const finishedAt = (cs: Record<string, unknown>): number =>
    parseTimestamp(dig(cs, 'lastState', 'terminated', 'finishedAt'))?.getTime() ?? 0;

  let initializing = false;
  const initStatuses = recs(status.initContainerStatuses);
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i];
    const restartable = restartableInit.has(str(cs.name));
    restarts += int(cs.restartCount);
    lastRestart = Math.max(lastRestart, finishedAt(cs));
    if (restartable) {
      restartableInitRestarts += int(cs.restartCount);
      lastRestartableInitRestart = Math.max(lastRestartableInitRestart, finishedAt(cs));
    }
    const terminated = dig(cs, 'state', 'terminated');
    const waiting = dig(cs, 'state', 'waiting');
    if (terminated !== undefined && terminated !== null && int(rec(terminated).exitCode) === 0) continue;
    if (restartable && cs.started === true) {
      if (cs.ready === true) readyContainers++;
      continue;
    }
    if (terminated !== undefined && terminated !== null) {
      const t = rec(terminated);
      if (str(t.reason) === '') {
        reason = int(t.signal) !== 0 ? `Init:Signal:${int(t.signal)}` : `Init:ExitCode:${int(t.exitCode)}`;
      } else {
        reason = `Init:${str(t.reason)}`;
      }
    } else if (str(rec(waiting).reason) !== '' && str(rec(waiting).reason) !== 'PodInitializing') {
      reason = `Init:${str(rec(waiting).reason)}`;
    } else {
      reason = `Init:${i}/${initSpecs.length}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || conditionStatus(conditions, 'Initialized') === 'True') {
    restarts = restartableInitRestarts;
    lastRestart = lastRestartableInitRestart;
    let hasRunning = false;
    const statuses = recs(status.containerStatuses);
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i];
      restarts += int(cs.restartCount);
      lastRestart = Math.max(lastRestart, finishedAt(cs));
      const waiting = rec(dig(cs, 'state', 'waiting'));
      const termRaw = dig(cs, 'state', 'terminated');
      const terminated = rec(termRaw);
      const hasTerminated = termRaw !== undefined && termRaw !== null;
      if (str(waiting.reason) !== '') {
        reason = str(waiting.reason);
      } else if (hasTerminated && str(terminated.reason) !== '') {
        reason = str(terminated.reason);
      } else if (hasTerminated) {
        reason = int(terminated.signal) !== 0 ? `Signal:${int(terminated.signal)}` : `ExitCode:${int(terminated.exitCode)}`;
      } else if (cs.ready === true && dig(cs, 'state', 'running') !== undefined) {
        hasRunning = true;
        readyContainers++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      reason = conditionStatus(conditions, 'Ready') === 'True' ? 'Running' : 'NotReady';
    }
  }

  const deleting = pod.metadata?.deletionTimestamp !== undefined && pod.metadata?.deletionTimestamp !== null;
  if (deleting && str(status.reason) === NODE_UNREACHABLE_POD_REASON) {
    reason = 'Unknown';
  } else if (deleting && phase !== 'Succeeded' && phase !== 'Failed') {
    reason = 'Terminating';
  }

  let restartsText = String(restarts);
  if (restarts !== 0 && lastRestart !== 0) {
    restartsText = `${restarts} (${formatAgo(new Date(lastRestart).toISOString(), now)})`;
  }
  if (totalContainers < 0) totalContainers = 0;
  return { ready: `${readyContainers}/${totalContainers}`, status: reason, restarts: restartsText };
}

const pod: KindPrinter = {
  group: '',
  kind: 'Pod',
  columns: [
    NAME_COLUMN,
    column('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
    column('Status', 'string', 'The aggregate status of the containers in this pod.'),
    column('Restarts', 'string', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
    AGE_COLUMN,
    column('IP', 'string', 'podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.', 1),
    column('Node', 'string', 'NodeName indicates in which node this pod is scheduled.', 1),
    column('Nominated Node', 'string', 'nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods.', 1),
    column('Readiness Gates', 'string', 'If specified, all readiness gates will be evaluated for pod readiness.', 1),
  ],
  cells(obj, ctx) {
    const s = podSummary(obj, ctx.now);
    const status = rec(obj.status);
    const spec = rec(obj.spec);
    const ip = str(rec(recs(status.podIPs)[0]).ip) || str(status.podIP) || '<none>';
    const gates = recs(spec.readinessGates);
    let readinessGates = '<none>';
    if (gates.length > 0) {
      const conds = recs(status.conditions);
      let trueCount = 0;
      for (const g of gates) {
        const c = conds.find((x) => x.type === g.conditionType);
        if (c && c.status === 'True') trueCount++;
      }
      readinessGates = `${trueCount}/${gates.length}`;
    }
    return [name(obj), s.ready, s.status, s.restarts, age(obj, ctx), ip, str(spec.nodeName) || '<none>', str(status.nominatedNodeName) || '<none>', readinessGates];
  },
};

/** Node roles from `node-role.kubernetes.io/<role>` and `kubernetes.io/role` labels, sorted. */
export function nodeRoles(node: KubeObject): string[] {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(strMap(node.metadata?.labels))) {
    if (k.startsWith(NODE_ROLE_LABEL_PREFIX)) {
      const role = k.slice(NODE_ROLE_LABEL_PREFIX.length);
      if (role !== '') roles.add(role);
    } else if (k === NODE_ROLE_LABEL && v !== '') {
      roles.add(v);
    }
  }
  return [...roles].sort(compareStrings);
}

/** Node STATUS: `Ready`, `NotReady` or `Unknown`, plus `,SchedulingDisabled` when cordoned. */
export function nodeStatus(node: KubeObject): string {
  const parts: string[] = [];
  const ready = recs(rec(node.status).conditions).filter((c) => c.type === 'Ready').pop();
  if (ready) parts.push(ready.status === 'True' ? 'Ready' : 'NotReady');
  else parts.push('Unknown');
  if (rec(node.spec).unschedulable === true) parts.push('SchedulingDisabled');
  return parts.join(',');
}

function nodeAddress(node: KubeObject, type: string): string {
  const a = recs(rec(node.status).addresses).find((x) => x.type === type);
  return a ? str(a.address) : '<none>';
}

const node: KindPrinter = {
  group: '',
  kind: 'Node',
  columns: [
    NAME_COLUMN,
    column('Status', 'string', 'The status of the node'),
    column('Roles', 'string', 'The roles of the node'),
    AGE_COLUMN,
    column('Version', 'string', 'Kubelet Version reported by the node.'),
    column('Internal-IP', 'string', 'List of addresses reachable to the node.', 1),
    column('External-IP', 'string', 'List of addresses reachable to the node.', 1),
    column('OS-Image', 'string', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).', 1),
    column('Kernel-Version', 'string', "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1),
    column('Container-Runtime', 'string', 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).', 1),
  ],
  cells(obj, ctx) {
    const info = rec(dig(obj, 'status', 'nodeInfo'));
    const roles = nodeRoles(obj).join(',') || '<none>';
    return [
      name(obj),
      nodeStatus(obj),
      roles,
      age(obj, ctx),
      str(info.kubeletVersion),
      nodeAddress(obj, 'InternalIP'),
      nodeAddress(obj, 'ExternalIP'),
      str(info.osImage) || '<unknown>',
      str(info.kernelVersion) || '<unknown>',
      str(info.containerRuntimeVersion) || '<unknown>',
    ];
  },
};

const namespace: KindPrinter = {
  group: '',
  kind: 'Namespace',
  columns: [NAME_COLUMN, column('Status', 'string', 'The status of the namespace'), AGE_COLUMN],
  cells: (obj, ctx) => [name(obj), str(rec(obj.status).phase), age(obj, ctx)],
};

/** Service PORT(S): `80/TCP`, `80:30080/TCP`, comma-separated. */
export function servicePorts(svc: KubeObject): string {
  return recs(rec(svc.spec).ports)
    .map((p) => {
      const proto = str(p.protocol) || 'TCP';
      const nodePort = int(p.nodePort);
      return nodePort > 0 ? `${int(p.port)}:${nodePort}/${proto}` : `${int(p.port)}/${proto}`;
    })
    .join(',');
}

/** The addresses (ip, else hostname) of `status.loadBalancer.ingress`, sorted, cut to 16 characters unless wide (kubectl's loadBalancerStatusStringer). */
export function loadBalancerIngress(status: unknown, wide: boolean): string {
  const set = new Set<string>();
  for (const i of recs(dig(status, 'loadBalancer', 'ingress'))) {
    if (str(i.ip) !== '') set.add(str(i.ip));
    else if (str(i.hostname) !== '') set.add(str(i.hostname));
  }
  let r = [...set].sort(compareStrings).join(',');
  if (!wide && r.length > LOAD_BALANCER_WIDTH) r = `${r.slice(0, LOAD_BALANCER_WIDTH - 3)}...`;
  return r;
}

/** Service EXTERNAL-IP as getServiceExternalIP computes it (non-wide: long LB lists are cut). */
export function serviceExternalIP(svc: KubeObject, wide = false): string {
  const spec = rec(svc.spec);
  const externalIPs = arr(spec.externalIPs).map(str);
  switch (str(spec.type) || 'ClusterIP') {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerIngress(svc.status, wide);
      if (externalIPs.length > 0) return [...(lb ? lb.split(',') : []), ...externalIPs].join(',');
      return lb || '<pending>';
    }
    case 'ExternalName':
      return str(spec.externalName);
    default:
      return '<unknown>';
  }
}

const service: KindPrinter = {
  group: '',
  kind: 'Service',
  columns: [
    NAME_COLUMN,
    column('Type', 'string', 'type determines how the Service is exposed.'),
    column('Cluster-IP', 'string', 'clusterIP is the IP address of the service and is usually assigned randomly.'),
    column('External-IP', 'string', 'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.'),
    column('Port(s)', 'string', 'The list of ports that are exposed by this service.'),
    AGE_COLUMN,
    column('Selector', 'string', 'Route service traffic to pods with label keys and values matching this selector.', 1),
  ],
  cells(obj, ctx) {
    const spec = rec(obj.spec);
    const clusterIP = str(arr(spec.clusterIPs)[0]) || str(spec.clusterIP) || '<none>';
    return [
      name(obj),
      str(spec.type) || 'ClusterIP',
      clusterIP,
      // Wide, as Kubernetes' server-side TableConvertor prints (GenerateOptions{Wide: true}): every LB address shows.
      serviceExternalIP(obj, true),
      servicePorts(obj) || '<none>',
      age(obj, ctx),
      formatLabels(spec.selector),
    ];
  },
};

/** Endpoints ENDPOINTS: `ip:port` list, first three then `+ N more...`; `<none>` without subsets. */
export function formatEndpoints(ep: KubeObject): string {
  const subsets = recs(ep.subsets);
  if (subsets.length === 0) return '<none>';
  const list: string[] = [];
  let more = false;
  let count = 0;
  const hostPort = (ip: string, port: number): string => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);
  for (const ss of subsets) {
    const addrs = recs(ss.addresses);
    const ports = recs(ss.ports);
    if (ports.length === 0) {
      count += addrs.length;
      for (const a of addrs) {
        if (list.length === MAX_ENDPOINTS_SHOWN) {
          more = true;
          break;
        }
        list.push(str(a.ip));
      }
      continue;
    }
    for (const p of ports) {
      count += addrs.length;
      for (const a of addrs) {
        if (list.length === MAX_ENDPOINTS_SHOWN) {
          more = true;
          break;
        }
        list.push(hostPort(str(a.ip), int(p.port)));
      }
    }
  }
  const ret = list.join(',');
  return more ? `${ret} + ${count - MAX_ENDPOINTS_SHOWN} more...` : ret;
}

const endpoints: KindPrinter = {
  group: '',
  kind: 'Endpoints',
  columns: [NAME_COLUMN, column('Endpoints', 'string', 'The set of all endpoints is the union of all subsets.'), AGE_COLUMN],
  cells: (obj, ctx) => [name(obj), formatEndpoints(obj), age(obj, ctx)],
};

const configMap: KindPrinter = {
  group: '',
  kind: 'ConfigMap',
  columns: [NAME_COLUMN, column('Data', 'string', 'Data contains the configuration data.'), AGE_COLUMN],
  cells: (obj, ctx) => [name(obj), Object.keys(rec(obj.data)).length + Object.keys(rec(obj.binaryData)).length, age(obj, ctx)],
};

const secret: KindPrinter = {
  group: '',
  kind: 'Secret',
  columns: [
    NAME_COLUMN,
    column('Type', 'string', 'Used to facilitate programmatic handling of secret data.'),
    column('Data', 'string', 'Data contains the secret data.'),
    AGE_COLUMN,
  ],
  cells: (obj, ctx) => [name(obj), str(obj.type) || 'Opaque', Object.keys(rec(obj.data)).length, age(obj, ctx)],
};

const serviceAccount: KindPrinter = {
  group: '',
  kind: 'ServiceAccount',
  columns: [NAME_COLUMN, column('Secrets', 'string', 'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.'), AGE_COLUMN],
  cells: (obj, ctx) => [name(obj), arr(obj.secrets).length, age(obj, ctx)],
};

function eventSource(ev: KubeObject): string {
  const component = str(dig(ev, 'source', 'component')) || str(ev.reportingComponent) || str(ev.reportingController);
  const host = str(dig(ev, 'source', 'host')) || str(ev.reportingInstance);
  return host === '' ? component : `${component}, ${host}`;
}

/** LAST SEEN / FIRST SEEN / COUNT of a core/v1 Event, with the eventTime and series fallbacks. */
export function eventTimes(ev: KubeObject, now: Date): { first: string; last: string; count: number } {
  let first = translateTimestampSince(ev.firstTimestamp, now);
  if (parseTimestamp(ev.firstTimestamp) === undefined) first = translateTimestampSince(ev.eventTime, now);
  let last = translateTimestampSince(ev.lastTimestamp, now);
  if (parseTimestamp(ev.lastTimestamp) === undefined) last = first;
  let count = int(ev.count);
  const series = ev.series;
  if (series !== undefined && series !== null) {
    last = translateTimestampSince(rec(series).lastObservedTime, now);
    count = int(rec(series).count);
  } else if (count === 0) {
    count = 1;
  }
  return { first, last, count };
}

const event: KindPrinter = {
  group: '',
  kind: 'Event',
  columns: [
    column('Last Seen', 'string', 'The time at which the most recent occurrence of this event was recorded.'),
    column('Type', 'string', 'Type of this event (Normal, Warning), new types could be added in the future'),
    column('Reason', 'string', 'This should be a short, machine understandable string that gives the reason for the transition into the object\'s current status.'),
    column('Object', 'string', 'The object that this event is about.'),
    column('Subobject', 'string', 'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement.', 1),
    column('Source', 'string', 'The component reporting this event. Should be a short machine understandable string.', 1),
    column('Message', 'string', 'A human-readable description of the status of this operation.'),
    column('First Seen', 'string', 'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)', 1),
    column('Count', 'string', 'The number of times this event has occurred.', 1),
    { ...NAME_COLUMN, priority: 1 },
  ],
  cells(obj, ctx) {
    const t = eventTimes(obj, ctx.now);
    const involved = rec(obj.involvedObject);
    const kind = str(involved.kind).toLowerCase();
    const target = str(involved.name) !== '' ? `${kind}/${str(involved.name)}` : kind;
    return [t.last, str(obj.type), str(obj.reason), target, str(involved.fieldPath), eventSource(obj), str(obj.message).trim(), t.first, t.count, name(obj)];
  },
};

/** PV/PVC ACCESS MODES: `RWO,ROX,RWX,RWOP` in that fixed order. */
export function accessModesString(modes: unknown): string {
  const have = new Set(arr(modes).map(str));
  const out: string[] = [];
  if (have.has('ReadWriteOnce')) out.push('RWO');
  if (have.has('ReadOnlyMany')) out.push('ROX');
  if (have.has('ReadWriteMany')) out.push('RWX');
  if (have.has('ReadWriteOncePod')) out.push('RWOP');
  return out.join(',');
}

const STORAGE_CLASS_ANNOTATION = 'volume.beta.kubernetes.io/storage-class';

function storageClassOf(obj: KubeObject): string {
  const a = strMap(obj.metadata?.annotations)[STORAGE_CLASS_ANNOTATION];
  if (a !== undefined) return a;
  return str(rec(obj.spec).storageClassName);
}

const persistentVolume: KindPrinter = {
  group: '',
  kind: 'PersistentVolume',
  columns: [
    NAME_COLUMN,
    column('Capacity', 'string', 'capacity is the description of the persistent volume\'s resources and capacity.'),
    column('Access Modes', 'string', 'accessModes contains all ways the volume can be mounted.'),
    column('Reclaim Policy', 'string', 'persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim.'),
    column('Status', 'string', 'phase indicates if a volume is available, bound to a claim, or released by a claim.'),
    column('Claim', 'string', 'claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.'),
    column('StorageClass', 'string', 'StorageClass of the pv'),
    column('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pv'),
    column('Reason', 'string', 'reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI.'),
    AGE_COLUMN,
    column('VolumeMode', 'string', 'volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.', 1),
  ],
  cells(obj, ctx) {
    const spec = rec(obj.spec);
    const claim = spec.claimRef !== undefined && spec.claimRef !== null ? `${str(rec(spec.claimRef).namespace)}/${str(rec(spec.claimRef).name)}` : '';
    let phase = str(rec(obj.status).phase);
    if (obj.metadata?.deletionTimestamp) phase = 'Terminating';
    return [
      name(obj),
      str(rec(spec.capacity).storage) || '0',
      accessModesString(spec.accessModes),
      str(spec.persistentVolumeReclaimPolicy),
      phase,
      claim,
      storageClassOf(obj),
      str(spec.volumeAttributesClassName) || '<unset>',
      str(rec(obj.status).reason),
      age(obj, ctx),
      str(spec.volumeMode) || '<unset>',
    ];
  },
};

const persistentVolumeClaim: KindPrinter = {
  group: '',
  kind: 'PersistentVolumeClaim',
  columns: [
    NAME_COLUMN,
    column('Status', 'string', 'phase represents the current phase of PersistentVolumeClaim.'),
    column('Volume', 'string', 'volumeName is the binding reference to the PersistentVolume backing this claim.'),
    column('Capacity', 'string', 'capacity represents the actual resources of the underlying volume.'),
    column('Access Modes', 'string', 'accessModes contains the actual access modes the volume backing the PVC has.'),
    column('StorageClass', 'string', 'StorageClass of the pvc'),
    column('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pvc'),
    AGE_COLUMN,
    column('VolumeMode', 'string', 'volumeMode defines what type of volume is required by the claim.', 1),
  ],
  cells(obj, ctx) {
    const spec = rec(obj.spec);
    const status = rec(obj.status);
    let phase = str(status.phase);
    if (obj.metadata?.deletionTimestamp) phase = 'Terminating';
    const bound = str(spec.volumeName) !== '';
    return [
      name(obj),
      phase,
      str(spec.volumeName),
      bound ? str(rec(status.capacity).storage) || '0' : '',
      bound ? accessModesString(status.accessModes) : '',
      storageClassOf(obj),
      str(spec.volumeAttributesClassName) || '<unset>',
      age(obj, ctx),
      str(spec.volumeMode) || '<unset>',
    ];
  },
};

/** Printers of core kinds. */
export const CORE_PRINTERS: readonly KindPrinter[] = [
  pod,
  node,
  namespace,
  service,
  endpoints,
  configMap,
  secret,
  serviceAccount,
  event,
  persistentVolume,
  persistentVolumeClaim,
];
