/**
 * The Node object a node agent registers and the status it keeps on it: labels, capacity and
 * allocatable, addresses, nodeInfo, the kubelet endpoint, and the four conditions with the
 * kubelet's reasons and messages. Pure functions; the registrar writes what they make.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import type { Node } from '../../../lib/api/types';
import type { RuntimeStatus } from '../runtime/runtime';
import { allocatableOf, type NodeConfig } from './node-config';

/** The Node's labels: hostname, os and arch (Kubernetes' well-known keys) plus the configured ones. */
export function nodeLabels(config: NodeConfig): Record<string, string> {
  return {
    'kubernetes.io/hostname': config.nodeName,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': goArch(process.arch),
    'beta.kubernetes.io/os': 'linux',
    'beta.kubernetes.io/arch': goArch(process.arch),
    ...config.labels,
  };
}

/** Node's arch naming (Go's GOARCH) for Node's process.arch. */
function goArch(arch: string): string {
  return arch === 'x64' ? 'amd64' : arch === 'ia32' ? '386' : arch;
}

export interface NodeCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastHeartbeatTime?: string;
  lastTransitionTime?: string;
}

/** The conditions for a runtime status (the kubelet's reasons); times are filled in by {@link withTimes}. */
export function nodeConditions(runtime: RuntimeStatus | undefined, runtimeError?: string): NodeCondition[] {
  const notReady = runtimeNotReady(runtime, runtimeError);
  return [
    { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' },
    { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' },
    { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available' },
    notReady
      ? { type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: notReady }
      : { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
  ];
}

/** Why the node is not ready (the runtime down or not ready), or undefined. */
function runtimeNotReady(runtime: RuntimeStatus | undefined, runtimeError: string | undefined): string | undefined {
  if (runtimeError !== undefined || !runtime) return `container runtime is down: ${runtimeError ?? 'no status'}`;
  const bad = runtime.conditions.filter((c) => !c.status);
  if (bad.length === 0) return undefined;
  return bad.map((c) => `container runtime ${c.type === 'NetworkReady' ? 'network' : 'status'} not ready: ${c.type}=false reason:${c.reason} message:${c.message}`).join(', ');
}

/** `next` with heartbeat `now`, and each condition's lastTransitionTime kept from `previous` unless its status changed. */
export function withTimes(next: NodeCondition[], previous: readonly NodeCondition[] | undefined, now: string): NodeCondition[] {
  return next.map((c) => {
    const old = previous?.find((p) => p.type === c.type);
    return { ...c, lastHeartbeatTime: now, lastTransitionTime: old && old.status === c.status && old.lastTransitionTime ? old.lastTransitionTime : now };
  });
}

/** True when the conditions differ in anything but their times. */
export function conditionsChanged(a: readonly NodeCondition[] | undefined, b: readonly NodeCondition[]): boolean {
  const strip = (l: readonly NodeCondition[]) => JSON.stringify(l.map((c) => [c.type, c.status, c.reason, c.message]));
  return !a || strip(a) !== strip(b);
}

/** A system file's first line ('' when it cannot be read). */
function readFirstLine(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n')[0]!.trim();
  } catch {
    return '';
  }
}

/** The host's OS as the kubelet reports it: os-release's PRETTY_NAME (e.g. "Debian GNU/Linux 12 (bookworm)"). */
function osImage(): string {
  try {
    const line = fs.readFileSync('/etc/os-release', 'utf8').split('\n').find((l) => l.startsWith('PRETTY_NAME='));
    if (line) return line.slice('PRETTY_NAME='.length).replace(/^"|"$/g, '');
  } catch {
    // No os-release: fall back to the kernel's description.
  }
  return os.version();
}

/** The status fields the agent owns (everything but conditions). */
export function nodeStatusFacts(config: NodeConfig, runtime: { runtimeName: string; runtimeVersion: string }): Record<string, unknown> {
  return {
    capacity: { ...config.capacity },
    allocatable: allocatableOf(config),
    addresses: [
      { type: 'InternalIP', address: config.address },
      { type: 'Hostname', address: config.nodeName },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: config.kubeletPort } },
    nodeInfo: {
      machineID: readFirstLine('/etc/machine-id'),
      systemUUID: '',
      bootID: readFirstLine('/proc/sys/kernel/random/boot_id'),
      kernelVersion: os.release(),
      osImage: osImage(),
      containerRuntimeVersion: `${runtime.runtimeName}://${runtime.runtimeVersion}`,
      kubeletVersion: 'v1.32.0-bosun',
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: goArch(process.arch),
    },
  };
}

/** The Node to create at registration. */
export function newNode(config: NodeConfig, status: Record<string, unknown>): Node {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name: config.nodeName, labels: nodeLabels(config) }, spec: {}, status };
}
