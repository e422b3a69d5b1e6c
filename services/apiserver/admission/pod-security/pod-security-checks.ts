/**
 * The Pod Security Standards' checks (Kubernetes' pod-security-admission policy, as of v1.32):
 * what the baseline and restricted levels forbid in a pod's metadata and spec. Each check names
 * what it found the way Kubernetes words it, so a refused pod reads the same as on a real cluster:
 * `allowPrivilegeEscalation != false (container "app" must set
 * securityContext.allowPrivilegeEscalation=false), runAsNonRoot != true (…)`.
 *
 * Pure functions over plain objects, so every rule is tested alone.
 */
import type { ObjectMeta } from '../../../../lib/api/object';
import type { PodSpec } from '../../../../lib/api/types/core';

/** The three levels of the Pod Security Standards, from least to most restrictive. */
export const POD_SECURITY_LEVELS = ['privileged', 'baseline', 'restricted'] as const;
export type PodSecurityLevel = (typeof POD_SECURITY_LEVELS)[number];

/** One failed check: its short reason and what in the pod failed it. */
export interface Violation {
  readonly reason: string;
  /** Empty when the reason says it all. */
  readonly detail: string;
}

interface Capabilities {
  add?: string[];
  drop?: string[];
}
interface SecurityContext {
  privileged?: boolean;
  allowPrivilegeEscalation?: boolean;
  capabilities?: Capabilities;
  runAsNonRoot?: boolean;
  runAsUser?: number;
  seccompProfile?: { type?: string };
  seLinuxOptions?: { type?: string; user?: string; role?: string };
  appArmorProfile?: { type?: string };
  procMount?: string;
  windowsOptions?: { hostProcess?: boolean };
  sysctls?: { name?: string }[];
}
interface ContainerView {
  name: string;
  sc: SecurityContext;
  ports: { hostPort?: number }[];
}

/** What every check looks at: the pod's security context and all its containers, init and ephemeral ones included. */
interface PodView {
  meta: ObjectMeta;
  spec: PodSpec;
  sc: SecurityContext;
  containers: ContainerView[];
  windows: boolean;
}

interface Check {
  readonly id: string;
  readonly level: Exclude<PodSecurityLevel, 'privileged'>;
  /** Baseline checks this (restricted) check replaces. */
  readonly overrides?: readonly string[];
  run(pod: PodView): Violation | undefined;
}

/** Capabilities a baseline container may add (the container runtimes' default set). */
const BASELINE_CAPABILITIES: ReadonlySet<string> = new Set(['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT']);
/** The only capability a restricted container may add (after dropping ALL). */
const RESTRICTED_ADDABLE_CAPABILITY = 'NET_BIND_SERVICE';
/** Volume sources a restricted pod may use. */
const RESTRICTED_VOLUME_TYPES: ReadonlySet<string> = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);
/** Sysctls a baseline pod may set (namespaced and safe). */
const SAFE_SYSCTLS: ReadonlySet<string> = new Set([
  'kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start', 'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports', 'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes',
  'net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem',
]);
/** SELinux types a baseline pod may ask for. */
const SELINUX_TYPES: ReadonlySet<string> = new Set(['container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']);
const SECCOMP_RESTRICTED_TYPES: ReadonlySet<string> = new Set(['RuntimeDefault', 'Localhost']);
const APPARMOR_ANNOTATION_PREFIX = 'container.apparmor.security.beta.kubernetes.io/';

const pluralize = (one: string, many: string, n: number) => (n === 1 ? one : many);
const joinQuote = (items: readonly string[]) => items.map((i) => JSON.stringify(i)).join(', ');
const containersPhrase = (names: readonly string[]) => `${pluralize('container', 'containers', names.length)} ${joinQuote(names)}`;
const sortedUnique = (items: Iterable<string>) => [...new Set(items)].sort();

/** "pod and container "a"": who set a forbidden value. */
function setters(podSets: boolean, containers: readonly string[]): string {
  return [...(podSets ? ['pod'] : []), ...(containers.length > 0 ? [containersPhrase(containers)] : [])].join(' and ');
}

// The checks, in Kubernetes' order of their ids (the order reasons appear in a message).
const CHECKS: readonly Check[] = [
  {
    id: 'allowPrivilegeEscalation',
    level: 'restricted',
    run: (pod) => {
      if (pod.windows) return undefined;
      const bad = pod.containers.filter((c) => c.sc.allowPrivilegeEscalation !== false).map((c) => c.name);
      return bad.length ? { reason: 'allowPrivilegeEscalation != false', detail: `${containersPhrase(bad)} must set securityContext.allowPrivilegeEscalation=false` } : undefined;
    },
  },
  {
    id: 'appArmorProfile',
    level: 'baseline',
    run: (pod) => {
      const values: string[] = [];
      const unconfined = (sc: SecurityContext): boolean => {
        if (sc.appArmorProfile?.type !== 'Unconfined') return false;
        values.push('Unconfined');
        return true;
      };
      const podBad = unconfined(pod.sc);
      const containers = pod.containers.filter((c) => unconfined(c.sc)).map((c) => c.name);
      const annotations: string[] = [];
      for (const [key, value] of Object.entries(pod.meta.annotations ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) {
        if (!key.startsWith(APPARMOR_ANNOTATION_PREFIX) || value === 'runtime/default' || value.startsWith('localhost/')) continue;
        annotations.push(`${key}=${JSON.stringify(value)}`);
        values.push(value);
      }
      if (values.length === 0) return undefined;
      const who = [setters(podBad, containers), ...(annotations.length ? [`${pluralize('annotation', 'annotations', annotations.length)} ${annotations.join(', ')}`] : [])].filter(Boolean).join(' and ');
      const sorted = sortedUnique(values);
      return { reason: pluralize('forbidden AppArmor profile', 'forbidden AppArmor profiles', sorted.length), detail: `${who} must not set AppArmor profile type to ${joinQuote(sorted)}` };
    },
  },
  {
    id: 'capabilities_baseline',
    level: 'baseline',
    run: (pod) => {
      const bad: string[] = [];
      const caps: string[] = [];
      for (const c of pod.containers) {
        const extra = (c.sc.capabilities?.add ?? []).filter((cap) => !BASELINE_CAPABILITIES.has(cap));
        if (extra.length) {
          bad.push(c.name);
          caps.push(...extra);
        }
      }
      return bad.length ? { reason: 'non-default capabilities', detail: `${containersPhrase(bad)} must not include ${joinQuote(sortedUnique(caps))} in securityContext.capabilities.add` } : undefined;
    },
  },
  {
    id: 'capabilities_restricted',
    level: 'restricted',
    overrides: ['capabilities_baseline'],
    run: (pod) => {
      if (pod.windows) return undefined;
      const missingDropAll = pod.containers.filter((c) => !(c.sc.capabilities?.drop ?? []).includes('ALL')).map((c) => c.name);
      const adding: string[] = [];
      const caps: string[] = [];
      for (const c of pod.containers) {
        const extra = (c.sc.capabilities?.add ?? []).filter((cap) => cap !== RESTRICTED_ADDABLE_CAPABILITY);
        if (extra.length) {
          adding.push(c.name);
          caps.push(...extra);
        }
      }
      const details = [
        ...(missingDropAll.length ? [`${containersPhrase(missingDropAll)} must set securityContext.capabilities.drop=["ALL"]`] : []),
        ...(adding.length ? [`${containersPhrase(adding)} must not include ${joinQuote(sortedUnique(caps))} in securityContext.capabilities.add`] : []),
      ];
      return details.length ? { reason: 'unrestricted capabilities', detail: details.join('; ') } : undefined;
    },
  },
  {
    id: 'hostNamespaces',
    level: 'baseline',
    run: (pod) => {
      const spec = pod.spec as PodSpec & { hostPID?: boolean; hostIPC?: boolean };
      const found = [...(spec.hostNetwork ? ['hostNetwork=true'] : []), ...(spec.hostPID ? ['hostPID=true'] : []), ...(spec.hostIPC ? ['hostIPC=true'] : [])];
      return found.length ? { reason: 'host namespaces', detail: found.join(', ') } : undefined;
    },
  },
  {
    id: 'hostPathVolumes',
    level: 'baseline',
    run: (pod) => {
      const bad = (pod.spec.volumes ?? []).filter((v) => v.hostPath !== undefined && v.hostPath !== null).map((v) => v.name ?? '');
      return bad.length ? { reason: 'hostPath volumes', detail: `${pluralize('volume', 'volumes', bad.length)} ${joinQuote(bad)}` } : undefined;
    },
  },
  {
    id: 'hostPorts',
    level: 'baseline',
    run: (pod) => {
      const bad: string[] = [];
      const ports: string[] = [];
      for (const c of pod.containers) {
        const used = c.ports.map((p) => p.hostPort ?? 0).filter((p) => p !== 0);
        if (used.length) {
          bad.push(c.name);
          ports.push(...used.map(String));
        }
      }
      const sorted = sortedUnique(ports);
      return bad.length
        ? { reason: 'hostPort', detail: `${containersPhrase(bad)} ${pluralize('uses', 'use', bad.length)} ${pluralize('hostPort', 'hostPorts', sorted.length)} ${sorted.join(', ')}` }
        : undefined;
    },
  },
  {
    id: 'privileged',
    level: 'baseline',
    run: (pod) => {
      const bad = pod.containers.filter((c) => c.sc.privileged === true).map((c) => c.name);
      return bad.length ? { reason: 'privileged', detail: `${containersPhrase(bad)} must not set securityContext.privileged=true` } : undefined;
    },
  },
  {
    id: 'procMount',
    level: 'baseline',
    run: (pod) => {
      const bad = pod.containers.filter((c) => c.sc.procMount !== undefined && c.sc.procMount !== 'Default');
      if (!bad.length) return undefined;
      const values = sortedUnique(bad.map((c) => c.sc.procMount!));
      return { reason: 'procMount', detail: `${containersPhrase(bad.map((c) => c.name))} must not set securityContext.procMount to ${joinQuote(values)}` };
    },
  },
  {
    id: 'restrictedVolumes',
    level: 'restricted',
    overrides: ['hostPathVolumes'],
    run: (pod) => {
      const bad: string[] = [];
      const types: string[] = [];
      for (const v of pod.spec.volumes ?? []) {
        const sources = Object.keys(v).filter((k) => k !== 'name' && v[k] !== undefined && v[k] !== null);
        const forbidden = sources.filter((s) => !RESTRICTED_VOLUME_TYPES.has(s));
        if (forbidden.length) {
          bad.push(v.name ?? '');
          types.push(...forbidden);
        }
      }
      const sorted = sortedUnique(types);
      return bad.length
        ? { reason: 'restricted volume types', detail: `${pluralize('volume', 'volumes', bad.length)} ${joinQuote(bad)} ${pluralize('uses', 'use', bad.length)} ${pluralize('restricted volume type', 'restricted volume types', sorted.length)} ${joinQuote(sorted)}` }
        : undefined;
    },
  },
  {
    id: 'runAsNonRoot',
    level: 'restricted',
    run: (pod) => {
      const podFalse = pod.sc.runAsNonRoot === false;
      const explicit = pod.containers.filter((c) => c.sc.runAsNonRoot === false).map((c) => c.name);
      if (podFalse || explicit.length) return { reason: 'runAsNonRoot != true', detail: `${setters(podFalse, explicit)} must not set securityContext.runAsNonRoot=false` };
      if (pod.sc.runAsNonRoot === true) return undefined;
      const implicit = pod.containers.filter((c) => c.sc.runAsNonRoot !== true).map((c) => c.name);
      return implicit.length ? { reason: 'runAsNonRoot != true', detail: `pod or ${containersPhrase(implicit)} must set securityContext.runAsNonRoot=true` } : undefined;
    },
  },
  {
    id: 'runAsUser',
    level: 'restricted',
    run: (pod) => {
      const podRoot = pod.sc.runAsUser === 0;
      const bad = pod.containers.filter((c) => c.sc.runAsUser === 0).map((c) => c.name);
      return podRoot || bad.length ? { reason: 'runAsUser=0', detail: `${setters(podRoot, bad)} must not set runAsUser=0` } : undefined;
    },
  },
  {
    id: 'seLinuxOptions',
    level: 'baseline',
    run: (pod) => {
      const types: string[] = [];
      let user = false;
      let role = false;
      const bad = (sc: SecurityContext): boolean => {
        const o = sc.seLinuxOptions;
        if (!o) return false;
        const badType = o.type !== undefined && o.type !== '' && !SELINUX_TYPES.has(o.type);
        if (badType) types.push(o.type!);
        user ||= !!o.user;
        role ||= !!o.role;
        return badType || !!o.user || !!o.role;
      };
      const podBad = bad(pod.sc);
      const containers = pod.containers.filter((c) => bad(c.sc)).map((c) => c.name);
      if (!podBad && !containers.length) return undefined;
      const sorted = sortedUnique(types);
      const what = [...(sorted.length ? [`${pluralize('type', 'types', sorted.length)} ${joinQuote(sorted)}`] : []), ...(user ? ['user may not be set'] : []), ...(role ? ['role may not be set'] : [])];
      return { reason: 'seLinuxOptions', detail: `${setters(podBad, containers)} set forbidden securityContext.seLinuxOptions: ${what.join('; ')}` };
    },
  },
  {
    id: 'seccompProfile_baseline',
    level: 'baseline',
    run: (pod) => {
      const podBad = pod.sc.seccompProfile?.type === 'Unconfined';
      const bad = pod.containers.filter((c) => c.sc.seccompProfile?.type === 'Unconfined').map((c) => c.name);
      return podBad || bad.length ? { reason: 'seccompProfile', detail: `${setters(podBad, bad)} must not set securityContext.seccompProfile.type to "Unconfined"` } : undefined;
    },
  },
  {
    id: 'seccompProfile_restricted',
    level: 'restricted',
    overrides: ['seccompProfile_baseline'],
    run: (pod) => {
      if (pod.windows) return undefined;
      const type = (sc: SecurityContext) => sc.seccompProfile?.type;
      const values: string[] = [];
      const explicitBad = (sc: SecurityContext) => {
        const t = type(sc);
        if (t === undefined || SECCOMP_RESTRICTED_TYPES.has(t)) return false;
        values.push(t);
        return true;
      };
      const podBad = explicitBad(pod.sc);
      const bad = pod.containers.filter((c) => explicitBad(c.sc)).map((c) => c.name);
      if (podBad || bad.length) return { reason: 'seccompProfile', detail: `${setters(podBad, bad)} must not set securityContext.seccompProfile.type to ${joinQuote(sortedUnique(values))}` };
      if (type(pod.sc) !== undefined) return undefined;
      const implicit = pod.containers.filter((c) => type(c.sc) === undefined).map((c) => c.name);
      return implicit.length ? { reason: 'seccompProfile', detail: `pod or ${containersPhrase(implicit)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"` } : undefined;
    },
  },
  {
    id: 'sysctls',
    level: 'baseline',
    run: (pod) => {
      const bad = (pod.sc.sysctls ?? []).map((s) => s.name ?? '').filter((n) => !SAFE_SYSCTLS.has(n));
      return bad.length ? { reason: 'forbidden sysctls', detail: bad.join(', ') } : undefined;
    },
  },
  {
    id: 'windowsHostProcess',
    level: 'baseline',
    run: (pod) => {
      const podBad = pod.sc.windowsOptions?.hostProcess === true;
      const bad = pod.containers.filter((c) => c.sc.windowsOptions?.hostProcess === true).map((c) => c.name);
      return podBad || bad.length ? { reason: 'hostProcess', detail: `${setters(podBad, bad)} must not set securityContext.windowsOptions.hostProcess=true` } : undefined;
    },
  },
];

/** The checks a level runs: baseline's, or baseline's and restricted's minus those restricted ones replace. */
function checksOf(level: PodSecurityLevel): readonly Check[] {
  if (level === 'privileged') return [];
  if (level === 'baseline') return CHECKS.filter((c) => c.level === 'baseline');
  const replaced = new Set(CHECKS.flatMap((c) => c.overrides ?? []));
  return CHECKS.filter((c) => !replaced.has(c.id));
}

function viewOf(meta: ObjectMeta, spec: PodSpec): PodView {
  const all = [...((spec.initContainers ?? []) as unknown[]), ...((spec.containers ?? []) as unknown[]), ...(((spec as { ephemeralContainers?: unknown[] }).ephemeralContainers ?? []) as unknown[])];
  const containers = all.map((c) => {
    const container = (c ?? {}) as { name?: string; securityContext?: SecurityContext; ports?: { hostPort?: number }[] };
    return { name: container.name ?? '', sc: container.securityContext ?? {}, ports: container.ports ?? [] };
  });
  return { meta, spec, sc: (spec.securityContext ?? {}) as SecurityContext, containers, windows: (spec as { os?: { name?: string } }).os?.name === 'windows' };
}

/** Every check of `level` the pod fails, in Kubernetes' order (empty: the pod meets the level). */
export function podSecurityViolations(level: PodSecurityLevel, meta: ObjectMeta, spec: PodSpec): Violation[] {
  const pod = viewOf(meta, spec);
  return checksOf(level)
    .map((c) => c.run(pod))
    .filter((v): v is Violation => v !== undefined);
}

/** Kubernetes' wording of failed checks: `reason (detail), reason, …`. */
export function describeViolations(violations: readonly Violation[]): string {
  return violations.map((v) => (v.detail ? `${v.reason} (${v.detail})` : v.reason)).join(', ');
}
